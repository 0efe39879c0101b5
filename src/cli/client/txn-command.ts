// txn: reads comparisons, then success requests, then failure requests, each
// section ended by an empty line, from standard input (with -i, prompting as
// etcdctl does), and sends them as one transaction. Request lines are parsed
// with the same flag definitions as the get, put and del commands.

import { Command, CommanderError } from 'commander';
import { CliError, exitCodes, requestFailed } from './cli-error.js';
import type { ClientContext } from './client-context.js';
import type { Wire } from './connection.js';
import { showTxn } from './kv-display.js';
import { addDelOptions, addGetOptions, addPutOptions, deleteRequest, putRequest, rangeRequest, type DelFlags, type GetFlags, type PutFlags } from './kv-requests.js';
import { LineReader } from './line-reader.js';
import { requireFormat } from './output.js';
import { parseCompare, splitWords } from './txn-syntax.js';

export interface TxnFlags {
  interactive?: boolean;
}

type Section = 'compares' | 'success requests' | 'failure requests';

/** A get/put/del line as a RequestOp, parsed by a throwaway Commander program so its flags match the commands exactly. */
export function parseRequestLine(line: string): Wire {
  const invalid = (why: string): CliError => new CliError(`invalid txn request: ${line} (${why})`, exitCodes.invalidInput);
  const words = splitWords(line);
  if (words.length < 2) throw invalid('expected get, put or del followed by a key, like put boston 12');
  const args = words.map((word) => {
    const text = word.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(word)) throw invalid('txn request lines take UTF-8 text');
    return text;
  });
  let op: Wire | null = null;
  const parser = new Command('txn').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  addGetOptions(parser.command('get').argument('[args...]')).action((rest: string[], flags: GetFlags) => {
    op = { request_range: rangeRequest(rest, flags) };
  });
  addPutOptions(parser.command('put').argument('[args...]')).action((rest: string[], flags: PutFlags) => {
    op = { request_put: putRequest(rest, flags, null) };
  });
  addDelOptions(parser.command('del').argument('[args...]')).action((rest: string[], flags: DelFlags) => {
    op = { request_delete_range: deleteRequest(rest, flags) };
  });
  try {
    parser.parse(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw invalid(error.message.replace(/^error: /, ''));
    if (error instanceof CliError) throw invalid(error.message);
    throw error;
  }
  if (op === null) throw invalid(`unknown request ${JSON.stringify(args[0])}: use get, put or del`);
  return op;
}

/** Far beyond what any etcd accepts in one transaction (128 operations by default), so only runaway input hits it. */
export const maxTxnLinesPerSection = 10_000;

/** Lines up to the empty line that closes a section; input ending first is an error, as in etcdctl. */
async function readSection(reader: LineReader, section: Section): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    if (lines.length > maxTxnLinesPerSection) throw new CliError(`more than ${maxTxnLinesPerSection} lines in the ${section}`, exitCodes.invalidInput);
    const line = await reader.next();
    if (line === null) {
      throw new CliError(
        `EOF: input ended before the empty line that closes the ${section}; end each of the three sections (compares, success requests, failure requests) with an empty line`,
        exitCodes.invalidInput,
      );
    }
    const trimmed = line.trim();
    if (trimmed === '') return lines;
    lines.push(trimmed);
  }
}

export async function txn(context: ClientContext, args: string[], flags: TxnFlags): Promise<void> {
  if (args.length !== 0) throw new CliError('txn command does not accept argument', exitCodes.badArgs);
  const { format, hex } = context.settings;
  requireFormat(format, ['simple', 'json', 'fields', 'protobuf']);
  // Dial first, as etcdctl does, so an unreachable cluster is known before anyone types a transaction.
  const connection = await context.connection();
  const reader = new LineReader(process.stdin);
  const prompt = (text: string): void => {
    if (flags.interactive === true) context.sink.out(`${text}\n`);
  };
  try {
    prompt('compares:');
    const compare = (await readSection(reader, 'compares')).map(parseCompare);
    prompt('success requests (get, put, del):');
    const success = (await readSection(reader, 'success requests')).map(parseRequestLine);
    prompt('failure requests (get, put, del):');
    const failure = (await readSection(reader, 'failure requests')).map(parseRequestLine);
    const response = await connection.unary('KV', 'Txn', { compare, success, failure }).catch((error: unknown) => Promise.reject(requestFailed(error)));
    context.sink.out(showTxn({ format, hex }, response));
  } finally {
    reader.close();
  }
}
