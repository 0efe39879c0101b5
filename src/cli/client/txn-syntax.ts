// The text etcdctl's txn reads: comparisons like value("boston") = "11" or
// mod("london") > "100", and request lines split into words the way
// etcdctl's argify splits them (double quotes with Go escapes, single
// quotes taken literally). Strings in both follow Go's %q syntax.

import { CliError, exitCodes } from './cli-error.js';
import type { Wire } from './connection.js';
import { parseLeaseId } from './kv-requests.js';

const simpleEscapes: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c, '"': 0x22 };

/** A Go string literal ("..." with escapes, or `raw`) at the start of text: its bytes and what follows, or null. */
export function readGoString(text: string): { value: Buffer; rest: string } | null {
  if (text.startsWith('`')) {
    const end = text.indexOf('`', 1);
    return end < 0 ? null : { value: Buffer.from(text.slice(1, end), 'utf8'), rest: text.slice(end + 1) };
  }
  if (!text.startsWith('"')) return null;
  const out: number[] = [];
  for (let i = 1; i < text.length; ) {
    const char = text[i]!;
    if (char === '"') return { value: Buffer.from(out), rest: text.slice(i + 1) };
    if (char === '\n') return null;
    if (char !== '\\') {
      const codePoint = text.codePointAt(i)!;
      out.push(...Buffer.from(String.fromCodePoint(codePoint), 'utf8'));
      i += codePoint > 0xffff ? 2 : 1;
      continue;
    }
    const kind = text[i + 1];
    if (kind === undefined) return null;
    if (simpleEscapes[kind] !== undefined) {
      out.push(simpleEscapes[kind]);
      i += 2;
    } else if (kind === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (/^[0-7]{3}$/.test(text.slice(i + 1, i + 4)) && parseInt(text.slice(i + 1, i + 4), 8) < 256) {
      out.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 4;
    } else if ((kind === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) || (kind === 'U' && /^[0-9A-Fa-f]{8}$/.test(text.slice(i + 2, i + 10)))) {
      const digits = kind === 'u' ? 4 : 8;
      const codePoint = parseInt(text.slice(i + 2, i + 2 + digits), 16);
      if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return null;
      out.push(...Buffer.from(String.fromCodePoint(codePoint), 'utf8'));
      i += 2 + digits;
    } else {
      return null;
    }
  }
  return null;
}

/** etcdctl's argify: words, "double-quoted strings" (Go escapes) and 'single-quoted strings'. */
export function splitWords(line: string): Buffer[] {
  const words: Buffer[] = [];
  for (const match of line.matchAll(/"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?/g)) {
    const word = match[0];
    if (word.startsWith('"')) {
      const parsed = readGoString(word);
      if (parsed === null || parsed.rest !== '') throw new CliError(`bad quoted string ${word} in ${JSON.stringify(line)}`, exitCodes.invalidInput);
      words.push(parsed.value);
    } else if (word.startsWith("'")) {
      words.push(Buffer.from(word.slice(1, -1), 'utf8'));
    } else {
      words.push(Buffer.from(word, 'utf8'));
    }
  }
  return words;
}

const results: Record<string, number> = { '=': 0, '>': 1, '<': 2, '!=': 3 };
const targets: Record<string, { target: number; field: string; number: boolean }> = {
  ver: { target: 0, field: 'version', number: true },
  version: { target: 0, field: 'version', number: true },
  c: { target: 1, field: 'create_revision', number: true },
  create: { target: 1, field: 'create_revision', number: true },
  m: { target: 2, field: 'mod_revision', number: true },
  mod: { target: 2, field: 'mod_revision', number: true },
  val: { target: 3, field: 'value', number: false },
  value: { target: 3, field: 'value', number: false },
  lease: { target: 4, field: 'lease', number: false },
};

const example = 'expected target("key") op "value", like value("boston") = "11" or mod("london") > "100"';

/** One comparison line as an etcd Compare message. */
export function parseCompare(line: string): Wire {
  const malformed = (why: string): CliError => new CliError(`malformed comparison: ${line} (${why})`, exitCodes.invalidInput);
  const open = line.indexOf('(');
  if (open < 0) throw malformed(example);
  const targetName = line.slice(0, open);
  const key = readGoString(line.slice(open + 1).trimStart());
  if (key === null || !key.rest.startsWith(')')) throw malformed(`the key must be a quoted string followed by ")": ${example}`);
  const opMatch = /^\s*(\S+)\s*/.exec(key.rest.slice(1));
  if (opMatch === null) throw malformed(`no operator: ${example}`);
  const value = readGoString(key.rest.slice(1).slice(opMatch[0].length));
  if (value === null) throw malformed(`the value must be a quoted string: ${example}`);
  const target = targets[targetName];
  if (target === undefined) throw malformed(`unknown target ${targetName}: use version, create, mod, value or lease`);
  const result = results[opMatch[1]!];
  if (result === undefined) throw malformed(`unknown operator ${JSON.stringify(opMatch[1])}: use =, !=, < or >`);
  const compare: Wire = { result, target: target.target, key: key.value, range_end: Buffer.alloc(0) };
  const valueText = value.value.toString('utf8');
  if (target.number) {
    if (!/^[-+]?\d+$/.test(valueText) || BigInt(valueText) > 2n ** 63n - 1n || BigInt(valueText) < -(2n ** 63n)) {
      throw new CliError(`invalid txn compare request: ${line} (${targetName} compares with a whole number, got ${JSON.stringify(valueText)})`, exitCodes.invalidInput);
    }
    compare[target.field] = BigInt(valueText).toString();
  } else if (target.field === 'lease') {
    try {
      compare['lease'] = parseLeaseId(valueText).toString();
    } catch (error) {
      throw new CliError(`invalid txn compare request: ${line} (${(error as Error).message})`, exitCodes.invalidInput);
    }
  } else {
    compare['value'] = value.value;
  }
  return compare;
}
