// lease grant | revoke | timetolive | list | keep-alive. keep-alive renews
// every TTL/3 seconds, as etcd's client does, printing each renewal, until
// the lease is gone (then "expired or revoked.", exit 0), the server stays
// silent for a whole TTL, or the user presses Ctrl-C.

import { CliError, exitCodes, isServiceError, requestFailed } from './cli-error.js';
import type { ClientContext } from './client-context.js';
import type { Connection, Wire } from './connection.js';
import { leaseHex } from './go-format.js';
import { Interruption } from './interruption.js';
import { parseLeaseId } from './kv-requests.js';
import { leaseFormats, showLease, showRevoke } from './lease-display.js';
import { requireFormat } from './output.js';
import { retryableCodes } from './watch-stream.js';

export async function grant(context: ClientContext, args: string[]): Promise<void> {
  if (args.length !== 1) throw new CliError('lease grant command needs TTL argument', exitCodes.badArgs);
  if (!/^[-+]?\d+$/.test(args[0]!) || !Number.isSafeInteger(Number(args[0]))) throw new CliError(`bad TTL ${JSON.stringify(args[0])}: expected a whole number of seconds`, exitCodes.badArgs);
  requireFormat(context.settings.format, leaseFormats.grant);
  const connection = await context.connection();
  const response = await connection
    .unary('Lease', 'LeaseGrant', { TTL: String(Number(args[0])), ID: '0' })
    .catch((error: unknown) => Promise.reject(requestFailed(error, exitCodes.error, (text) => `failed to grant lease (${text})`)));
  context.sink.out(showLease('grant', context.settings.format, response));
}

function leaseArg(args: string[], usage: string): bigint {
  if (args.length !== 1) throw new CliError(usage, exitCodes.badArgs);
  return parseLeaseId(args[0]!, 'lease ID arg');
}

export async function revoke(context: ClientContext, args: string[]): Promise<void> {
  const id = leaseArg(args, 'lease revoke command needs 1 argument');
  requireFormat(context.settings.format, leaseFormats.revoke);
  const connection = await context.connection();
  const response = await connection
    .unary('Lease', 'LeaseRevoke', { ID: id.toString() })
    .catch((error: unknown) => Promise.reject(requestFailed(error, exitCodes.error, (text) => `failed to revoke lease (${text})`)));
  context.sink.out(showRevoke(context.settings.format, id, response));
}

export async function timeToLive(context: ClientContext, args: string[], flags: { keys?: boolean }): Promise<void> {
  const id = leaseArg(args, 'lease timetolive command needs lease ID as argument');
  requireFormat(context.settings.format, leaseFormats.timetolive);
  const connection = await context.connection();
  const response = await connection
    .unary('Lease', 'LeaseTimeToLive', { ID: id.toString(), keys: flags.keys === true })
    .catch((error: unknown) => Promise.reject(requestFailed(error, exitCodes.badConnection)));
  context.sink.out(showLease('timetolive', context.settings.format, response, { keys: flags.keys === true }));
}

export async function list(context: ClientContext, args: string[]): Promise<void> {
  if (args.length !== 0) throw new CliError('lease list command takes no arguments', exitCodes.badArgs);
  requireFormat(context.settings.format, leaseFormats.leases);
  const connection = await context.connection();
  const response = await connection.unary('Lease', 'LeaseLeases', {}).catch((error: unknown) => Promise.reject(requestFailed(error, exitCodes.badConnection)));
  context.sink.out(showLease('leases', context.settings.format, response));
}

/** One renewal on a fresh stream, answered within the command timeout. */
function renewOnce(connection: Connection, id: bigint, timeoutMs: number): Promise<Wire> {
  return new Promise<Wire>((resolve, reject) => {
    const stream = connection.duplex('Lease', 'LeaseKeepAlive', { timeoutMs });
    stream.once('data', (response: Wire) => {
      resolve(response);
      stream.cancel();
    });
    stream.once('error', reject);
    stream.once('end', () => reject(new CliError('the server closed the keep-alive stream without answering', exitCodes.badConnection)));
    stream.write({ ID: id.toString() });
  });
}

const deadlineExceeded = 4;

/** etcd's client gives the first renewal this long before calling the lease lost; later, one TTL. */
const firstRenewalWindowMs = 5_000;
const retryDelayMs = 500;

export async function keepAlive(context: ClientContext, args: string[], flags: { once?: boolean }): Promise<number> {
  const id = leaseArg(args, 'lease keep-alive command needs lease ID as argument');
  const { format, commandTimeoutMs } = context.settings;
  requireFormat(format, leaseFormats.keepalive);
  if (flags.once === true) {
    const response = await renewOnce(await context.connection(), id, commandTimeoutMs).catch((error: unknown) => Promise.reject(requestFailed(error, exitCodes.badConnection)));
    if (BigInt(response['TTL'] ?? '0') <= 0n) throw new CliError('etcdserver: requested lease not found', exitCodes.badConnection);
    context.sink.out(showLease('keepalive', format, response));
    return exitCodes.success;
  }
  let stopped = false;
  let wake: () => void = () => {};
  const interruption = new Interruption(() => {
    stopped = true;
    wake();
  });
  const sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  try {
    let connection = await context.connection();
    let deadline = Date.now() + firstRenewalWindowMs;
    while (!stopped) {
      let response: Wire;
      try {
        response = await renewOnce(connection, id, Math.max(1, Math.min(commandTimeoutMs, deadline - Date.now())));
      } catch (error) {
        if (stopped) break;
        if (isServiceError(error) && !retryableCodes.has(error.code) && error.code !== deadlineExceeded) throw requestFailed(error, exitCodes.badConnection);
        // The member went away or is slow: renew through any member that answers, until the lease's time is up.
        if (Date.now() >= deadline) break;
        await sleep(retryDelayMs);
        connection = await context.redial().catch(() => connection);
        continue;
      }
      const ttl = BigInt(response['TTL'] ?? '0');
      if (ttl <= 0n) break;
      context.sink.out(showLease('keepalive', format, response));
      deadline = Date.now() + Number(ttl) * 1000;
      await sleep((Number(ttl) * 1000) / 3);
    }
    if (stopped) return exitCodes.interrupted;
    if (format === 'simple') context.sink.out(`lease ${leaseHex(id)} expired or revoked.\n`);
    return exitCodes.success;
  } finally {
    interruption.dispose();
  }
}
