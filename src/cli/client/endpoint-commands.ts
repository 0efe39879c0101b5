// endpoint status | health | hashkv: each asks every endpoint on its own
// connection (with --cluster, every member's client URLs), so one member's
// trouble shows up on its own line instead of failing the command.

import { CliError, describeRequestError, exitCodes } from './cli-error.js';
import type { ClientContext } from './client-context.js';
import { showHashKv, showHealth, showStatus, type EndpointAnswer, type EndpointHealth } from './cluster-display.js';
import type { Connection, Wire } from './connection.js';
import { parseEndpoint, type Endpoint } from './endpoints.js';
import { formatGoDuration } from './go-format.js';
import { requireFormat } from './output.js';

export interface EndpointFlags {
  cluster?: boolean;
}

/** --endpoints, or with --cluster every client URL the member list names. */
export async function targetEndpoints(context: ClientContext, flags: EndpointFlags): Promise<readonly Endpoint[]> {
  if (flags.cluster !== true) return context.settings.endpoints;
  try {
    const response = await (await context.connection()).unary('Cluster', 'MemberList', {});
    return ((response['members'] ?? []) as Wire[]).flatMap((member) => ((member['clientURLs'] ?? []) as string[]).map(parseEndpoint));
  } catch (error) {
    throw new CliError(`failed to fetch endpoints from etcd cluster member list: ${describeRequestError(error)}`);
  }
}

/** Asks each endpoint in turn; failures are reported per endpoint and collected. */
async function askEach(
  context: ClientContext,
  endpoints: readonly Endpoint[],
  ask: (connection: Connection) => Promise<Wire>,
  failure: (endpoint: Endpoint, error: string) => string,
): Promise<{ answers: EndpointAnswer[]; lastError: string | null }> {
  const answers: EndpointAnswer[] = [];
  let lastError: string | null = null;
  for (const endpoint of endpoints) {
    try {
      answers.push({ endpoint: endpoint.text, response: await ask(await context.connectionTo(endpoint)) });
    } catch (error) {
      lastError = describeRequestError(error);
      context.sink.err(failure(endpoint, lastError));
    }
  }
  return { answers, lastError };
}

export async function status(context: ClientContext, args: string[], flags: EndpointFlags): Promise<number> {
  if (args.length !== 0) throw new CliError('endpoint status takes no arguments', exitCodes.badArgs);
  requireFormat(context.settings.format, ['simple', 'json', 'table', 'fields']);
  const endpoints = await targetEndpoints(context, flags);
  const { answers, lastError } = await askEach(context, endpoints, (c) => c.unary('Maintenance', 'Status', {}), (e, why) => `Failed to get the status of endpoint ${e.text} (${why})\n`);
  context.sink.out(showStatus(context.settings.format, answers));
  return lastError === null ? exitCodes.success : exitCodes.error;
}

export async function hashKv(context: ClientContext, args: string[], flags: EndpointFlags & { rev: number }): Promise<void> {
  if (args.length !== 0) throw new CliError('endpoint hashkv takes no arguments', exitCodes.badArgs);
  requireFormat(context.settings.format, ['simple', 'json', 'table', 'fields']);
  const endpoints = await targetEndpoints(context, flags);
  const request = { revision: String(Math.max(0, flags.rev)) };
  const { answers, lastError } = await askEach(context, endpoints, (c) => c.unary('Maintenance', 'HashKV', request), (e, why) => `Failed to get the hash of endpoint ${e.text} (${why})\n`);
  context.sink.out(showHashKv(context.settings.format, answers));
  if (lastError !== null) throw new CliError(lastError);
}

/** Healthy when a linearizable read of a key (any key) goes through the cluster within the command timeout. */
async function healthOf(context: ClientContext, endpoint: Endpoint): Promise<EndpointHealth> {
  let connection: Connection;
  try {
    connection = await context.connectionTo(endpoint);
  } catch (error) {
    return { endpoint: endpoint.text, health: false, took: '', error: describeRequestError(error) };
  }
  const started = process.hrtime.bigint();
  try {
    await connection.unary('KV', 'Range', { key: Buffer.from('health') });
    return { endpoint: endpoint.text, health: true, took: formatGoDuration(Number(process.hrtime.bigint() - started)), error: '' };
  } catch (error) {
    const took = formatGoDuration(Number(process.hrtime.bigint() - started));
    const text = describeRequestError(error);
    // As in etcd: a permission error still proves the read went through consensus.
    if (text === 'etcdserver: permission denied') return { endpoint: endpoint.text, health: true, took, error: '' };
    return { endpoint: endpoint.text, health: false, took, error: text };
  }
}

export async function health(context: ClientContext, args: string[], flags: EndpointFlags): Promise<void> {
  if (args.length !== 0) throw new CliError('endpoint health takes no arguments', exitCodes.badArgs);
  requireFormat(context.settings.format, ['simple', 'json', 'table', 'fields']);
  const endpoints = await targetEndpoints(context, flags);
  const list = await Promise.all(endpoints.map((endpoint) => healthOf(context, endpoint)));
  const { out, err } = showHealth(context.settings.format, list);
  context.sink.out(out);
  context.sink.err(err);
  if (list.some((h) => h.error !== '')) throw new CliError('unhealthy cluster');
}
