// compaction, move-leader, alarm list | disarm, defrag.

import { CliError, describeRequestError, exitCodes, requestFailed } from './cli-error.js';
import type { ClientContext } from './client-context.js';
import { showAlarms, showMoveLeader } from './cluster-display.js';
import type { Connection, Wire } from './connection.js';
import { targetEndpoints, type EndpointFlags } from './endpoint-commands.js';
import { parseMemberId } from './member-commands.js';
import { requireFormat } from './output.js';

export async function compaction(context: ClientContext, args: string[], flags: { physical?: boolean }): Promise<void> {
  if (args.length !== 1) throw new CliError('compaction command needs 1 argument', exitCodes.badArgs);
  const text = args[0]!;
  if (!/^[-+]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new CliError(`bad revision ${JSON.stringify(text)}: expected a whole number`);
  const connection = await context.connection();
  await connection.unary('KV', 'Compact', { revision: String(Number(text)), physical: flags.physical === true }).catch((error: unknown) => Promise.reject(requestFailed(error)));
  context.sink.out(`compacted revision ${Number(text)}\n`);
}

/** etcd transfers leadership only when asked by the leader, so find which endpoint that is. */
export async function moveLeader(context: ClientContext, args: string[]): Promise<void> {
  if (args.length !== 1) throw new CliError('move-leader command needs 1 argument', exitCodes.badArgs);
  const target = parseMemberId(args[0]!);
  const { format, endpoints } = context.settings;
  requireFormat(format, ['simple', 'json', 'protobuf']);
  let leader: { connection: Connection; id: string } | null = null;
  for (const endpoint of endpoints) {
    const connection = await context.connectionTo(endpoint);
    const status = await connection.unary('Maintenance', 'Status', {}).catch((error: unknown) => Promise.reject(requestFailed(error)));
    if (BigInt(status['header']?.['member_id'] ?? '0') === BigInt(status['leader'] ?? '0')) {
      leader = { connection, id: String(status['leader']) };
      break;
    }
    connection.close();
  }
  if (leader === null) {
    throw new CliError(
      `no leader endpoint given at [${endpoints.map((e) => e.text).join(' ')}]: pass the leader's client URL in --endpoints (trellis endpoint status --cluster shows which member leads)`,
      exitCodes.badArgs,
    );
  }
  const response = await leader.connection.unary('Maintenance', 'MoveLeader', { targetID: target.toString() }).catch((error: unknown) => Promise.reject(requestFailed(error)));
  context.sink.out(showMoveLeader(format, leader.id, target, response));
}

const alarmGet = 0;
const alarmDeactivate = 2;

export async function alarmList(context: ClientContext, args: string[]): Promise<void> {
  if (args.length !== 0) throw new CliError('alarm list command accepts no arguments', exitCodes.badArgs);
  requireFormat(context.settings.format, ['simple', 'json', 'fields', 'protobuf']);
  const connection = await context.connection();
  const response = await connection.unary('Maintenance', 'Alarm', { action: alarmGet, memberID: '0', alarm: 0 }).catch((error: unknown) => Promise.reject(requestFailed(error)));
  context.sink.out(showAlarms(context.settings.format, response));
}

/** As etcd's client disarms all: list the alarms, deactivate each one, and answer with those deactivated (and no header). */
export async function alarmDisarm(context: ClientContext, args: string[]): Promise<void> {
  if (args.length !== 0) throw new CliError('alarm disarm command accepts no arguments', exitCodes.badArgs);
  requireFormat(context.settings.format, ['simple', 'json', 'fields', 'protobuf']);
  const connection = await context.connection();
  const ask = (request: Wire): Promise<Wire> => connection.unary('Maintenance', 'Alarm', request).catch((error: unknown) => Promise.reject(requestFailed(error)));
  const listed = await ask({ action: alarmGet, memberID: '0', alarm: 0 });
  const disarmed: Wire[] = [];
  for (const alarm of (listed['alarms'] ?? []) as Wire[]) {
    const answer = await ask({ action: alarmDeactivate, memberID: alarm['memberID'], alarm: alarm['alarm'] });
    disarmed.push(...((answer['alarms'] ?? []) as Wire[]));
  }
  context.sink.out(showAlarms(context.settings.format, { header: null, alarms: disarmed }));
}

export async function defrag(context: ClientContext, args: string[], flags: EndpointFlags): Promise<number> {
  if (args.length !== 0) throw new CliError('defrag command takes no arguments', exitCodes.badArgs);
  let failures = 0;
  for (const endpoint of await targetEndpoints(context, flags)) {
    try {
      await (await context.connectionTo(endpoint)).unary('Maintenance', 'Defragment', {});
      context.sink.out(`Finished defragmenting etcd member[${endpoint.text}]\n`);
    } catch (error) {
      failures++;
      context.sink.err(`Failed to defragment etcd member[${endpoint.text}] (${describeRequestError(error)})\n`);
    }
  }
  return failures === 0 ? exitCodes.success : exitCodes.error;
}
