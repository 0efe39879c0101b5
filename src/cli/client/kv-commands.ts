// get, put and del: one request each, printed as etcdctl prints it.

import { CliError, exitCodes, requestFailed } from './cli-error.js';
import type { ClientContext } from './client-context.js';
import { showKv } from './kv-display.js';
import { deleteRequest, putRequest, rangeRequest, type DelFlags, type GetFlags, type PutFlags } from './kv-requests.js';
import { requireFormat } from './output.js';
import { readAllStdin } from './stdin.js';

const kvFormats = ['simple', 'json', 'fields', 'protobuf'] as const;

export async function get(context: ClientContext, args: string[], flags: GetFlags): Promise<void> {
  const { format, hex } = context.settings;
  requireFormat(format, kvFormats);
  const request = rangeRequest(args, flags);
  if (flags.printValueOnly === true && format !== 'simple') throw new CliError('print-value-only is only for `--write-out=simple`', exitCodes.badArgs);
  if (flags.countOnly === true && format !== 'fields' && format !== 'json') {
    throw new CliError('--count-only is only for `--write-out=fields` or `--write-out=json` (simple output has nothing to print)', exitCodes.badArgs);
  }
  const connection = await context.connection();
  const response = await connection.unary('KV', 'Range', request).catch((error: unknown) => Promise.reject(requestFailed(error)));
  context.sink.out(showKv('get', { format, hex, valueOnly: flags.printValueOnly === true }, response));
}

export async function put(context: ClientContext, args: string[], flags: PutFlags): Promise<void> {
  const { format, hex } = context.settings;
  requireFormat(format, kvFormats);
  const needsStdin = args.length === 1 && flags.ignoreValue !== true;
  const request = putRequest(args, flags, needsStdin ? await readAllStdin() : null);
  const connection = await context.connection();
  const response = await connection.unary('KV', 'Put', request).catch((error: unknown) => Promise.reject(requestFailed(error)));
  context.sink.out(showKv('put', { format, hex }, response));
}

export async function del(context: ClientContext, args: string[], flags: DelFlags): Promise<void> {
  const { format, hex } = context.settings;
  requireFormat(format, kvFormats);
  const request = deleteRequest(args, flags);
  const connection = await context.connection();
  const response = await connection.unary('KV', 'DeleteRange', request).catch((error: unknown) => Promise.reject(requestFailed(error)));
  context.sink.out(showKv('del', { format, hex }, response));
}
