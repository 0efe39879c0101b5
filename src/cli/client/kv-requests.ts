// get, put and del as requests: their flags and how arguments become a
// RangeRequest, PutRequest or DeleteRangeRequest, exactly as etcdctl builds
// them (so the server sees the same request, sort defaults included). The
// txn command parses its get/put/del lines with these same definitions.

import { InvalidArgumentError, type Command } from 'commander';
import { CliError, exitCodes } from './cli-error.js';
import type { Wire } from './connection.js';

export interface GetFlags {
  consistency: string;
  order: string;
  sortBy: string;
  limit: number;
  prefix?: boolean;
  fromKey?: boolean;
  rev: number;
  keysOnly?: boolean;
  countOnly?: boolean;
  printValueOnly?: boolean;
}

export interface PutFlags {
  lease: string;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

export interface DelFlags {
  prefix?: boolean;
  prevKv?: boolean;
  fromKey?: boolean;
}

export function parseWholeNumber(text: string): number {
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return Number(text);
}

export function addGetOptions(command: Command): Command {
  return command
    .option('--consistency <l|s>', 'Linearizable(l) or Serializable(s)', 'l')
    .option('--order <order>', 'Order of results; ASCEND or DESCEND (ASCEND by default)', '')
    .option('--sort-by <target>', 'Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION', '')
    .option('--limit <n>', 'Maximum number of results', parseWholeNumber, 0)
    .option('--prefix', 'Get keys with matching prefix')
    .option('--from-key', 'Get keys that are greater than or equal to the given key using byte compare')
    .option('--rev <revision>', 'Specify the kv revision', parseWholeNumber, 0)
    .option('--keys-only', 'Get only the keys')
    .option('--count-only', 'Get only the count (with -w fields or -w json)')
    .option('--print-value-only', 'Only write values when using the "simple" output format');
}

export function addPutOptions(command: Command): Command {
  return command
    .option('--lease <id>', 'lease ID (in hexadecimal) to attach to the key', '0')
    .option('--prev-kv', 'return the previous key-value pair before modification')
    .option('--ignore-value', 'updates the key using its current value')
    .option('--ignore-lease', 'updates the key using its current lease');
}

export function addDelOptions(command: Command): Command {
  return command
    .option('--prefix', 'delete keys with matching prefix')
    .option('--prev-kv', 'return deleted key-value pairs')
    .option('--from-key', 'delete keys that are greater than or equal to the given key using byte compare');
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const nulByte = (): Buffer => Buffer.from([0]);

/** The end of the range holding every key that starts with key: key with its last byte below 0xff incremented. */
export function prefixEnd(key: Uint8Array): Buffer {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  // Every byte is 0xff: no key is greater, so the range runs to the end.
  return nulByte();
}

/** key and range_end for --prefix / --from-key / [range_end], as etcdctl's get and del set them. */
function keyRange(args: readonly string[], prefix: boolean, fromKey: boolean): { key: Buffer; range_end: Buffer } {
  const key = bytes(args[0]!);
  if (args.length > 1) return { key, range_end: bytes(args[1]!) };
  if (prefix) return key.length === 0 ? { key: nulByte(), range_end: nulByte() } : { key, range_end: prefixEnd(key) };
  if (fromKey) return { key: key.length === 0 ? nulByte() : key, range_end: nulByte() };
  return { key, range_end: Buffer.alloc(0) };
}

function rangeFlagsCheck(args: readonly string[], prefix: boolean, fromKey: boolean): void {
  if (prefix && fromKey) throw new CliError('`--prefix` and `--from-key` cannot be set at the same time, choose one', exitCodes.badArgs);
  if (args.length > 1 && (prefix || fromKey)) {
    throw new CliError('too many arguments, only accept one argument when `--prefix` or `--from-key` is set', exitCodes.badArgs);
  }
}

const sortOrders: Record<string, number> = { '': 0, ASCEND: 1, DESCEND: 2 };
const sortTargets: Record<string, number> = { '': 0, KEY: 0, VERSION: 1, CREATE: 2, MODIFY: 3, VALUE: 4 };

export function rangeRequest(args: readonly string[], flags: GetFlags): Wire {
  if (args.length === 0 || args.length > 2) throw new CliError('get command needs one argument as key and an optional argument as range_end', exitCodes.badArgs);
  rangeFlagsCheck(args, flags.prefix === true, flags.fromKey === true);
  if (flags.consistency !== 'l' && flags.consistency !== 's') throw new CliError(`unknown consistency flag ${JSON.stringify(flags.consistency)}: use l (linearizable) or s (serializable)`, exitCodes.badFeature);
  let order = sortOrders[flags.order.toUpperCase()];
  if (order === undefined) throw new CliError(`bad sort order ${flags.order}: use ASCEND or DESCEND`, exitCodes.badFeature);
  const target = sortTargets[flags.sortBy.toUpperCase()];
  if (target === undefined) throw new CliError(`bad sort target ${flags.sortBy}: use CREATE, KEY, MODIFY, VALUE or VERSION`, exitCodes.badFeature);
  if (flags.keysOnly === true && flags.countOnly === true) throw new CliError('`--keys-only` and `--count-only` cannot be set at the same time, choose one', exitCodes.badArgs);
  // The server returns keys in ascending order anyway; etcd's client drops the redundant sort.
  if (target === 0 && order === 1) order = 0;
  return {
    ...keyRange(args, flags.prefix === true, flags.fromKey === true),
    limit: String(flags.limit),
    revision: String(flags.rev > 0 ? flags.rev : 0),
    sort_order: order,
    sort_target: target,
    serializable: flags.consistency === 's',
    keys_only: flags.keysOnly === true,
    count_only: flags.countOnly === true,
  };
}

/** A lease id as etcdctl reads one: hexadecimal, a signed 64-bit integer. */
export function parseLeaseId(text: string, what = 'lease ID'): bigint {
  const valid = /^[-+]?[0-9a-fA-F]+$/.test(text);
  const value = valid ? BigInt(text.startsWith('-') ? `-0x${text.slice(1)}` : `0x${text.replace(/^\+/, '')}`) : null;
  if (value === null || value > 2n ** 63n - 1n || value < -(2n ** 63n)) {
    throw new CliError(`bad ${what} ${JSON.stringify(text)}, expecting ID in Hex`, exitCodes.badArgs);
  }
  return value;
}

const putUsage = 'put command needs 1 argument and input from stdin or 2 arguments';

/** value is the second argument, or stdinValue: what standard input held (read by the caller only when needed, as etcdctl does). */
export function putRequest(args: readonly string[], flags: PutFlags, stdinValue: Buffer | null): Wire {
  if (args.length === 0) throw new CliError(putUsage, exitCodes.badArgs);
  if (flags.ignoreValue === true && args.length > 1) throw new CliError("put command needs only 1 argument when 'ignore-value' is set", exitCodes.badArgs);
  if (args.length > 2) throw new CliError(`put command takes a key and one value, got ${args.length} arguments: quote a value that has spaces`, exitCodes.badArgs);
  let value: Buffer = Buffer.alloc(0);
  if (flags.ignoreValue !== true) {
    const given = args.length > 1 ? bytes(args[1]!) : stdinValue;
    if (given === null || given.length === 0) throw new CliError(putUsage, exitCodes.badArgs);
    value = given;
  }
  const lease = parseLeaseId(flags.lease);
  return {
    key: bytes(args[0]!),
    value,
    lease: lease.toString(),
    prev_kv: flags.prevKv === true,
    ignore_value: flags.ignoreValue === true,
    ignore_lease: flags.ignoreLease === true,
  };
}

export function deleteRequest(args: readonly string[], flags: DelFlags): Wire {
  if (args.length === 0 || args.length > 2) throw new CliError('del command needs one argument as key and an optional argument as range_end', exitCodes.badArgs);
  rangeFlagsCheck(args, flags.prefix === true, flags.fromKey === true);
  return { ...keyRange(args, flags.prefix === true, flags.fromKey === true), prev_kv: flags.prevKv === true };
}
