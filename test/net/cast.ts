// The cast of the peer transport stories: members jupiter, saturn and neptune
// on loopback, each with its own TcpNetwork (so its sockets can be counted)
// and a logger that keeps every line, so a story can assert what each side
// said.

import { clusterId, nodeId, type ClusterId, type NodeId } from '../../src/ids.js';
import type { PeerAddress } from '../../src/net/network.js';
import type { PeerTransportLimits } from '../../src/net/peer-limits.js';
import type { PeerStatistics } from '../../src/net/peer-statistics.js';
import type { PeerTransport } from '../../src/net/peer-transport.js';
import type { Logger } from '../../src/runtime/logger.js';
import { createTcpPeerTransport, TcpNetwork } from '../../src/runtime/node/tcp-transport.js';
import type { Codec } from '../../src/runtime/transport.js';

export const jupiter = nodeId('jupiter');
export const saturn = nodeId('saturn');
export const neptune = nodeId('neptune');
export const ourCluster = clusterId(0x91c2_5e0d_33aa_0001n);
export const otherCluster = clusterId(0x7f3a_0b1e_c0de_0002n);

export interface WidgetCount {
  readonly city: string;
  readonly count: number;
}

export const widgetCodec: Codec<WidgetCount> = {
  encode: (m) => new TextEncoder().encode(JSON.stringify(m)),
  decode: (bytes) => {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as WidgetCount;
    if (typeof value.city !== 'string' || typeof value.count !== 'number') throw new Error('not a widget count');
    return value;
  },
};

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  debug(fields: Record<string, unknown>, message: string): void { this.lines.push({ level: 'debug', fields, message }); }
  info(fields: Record<string, unknown>, message: string): void { this.lines.push({ level: 'info', fields, message }); }
  warn(fields: Record<string, unknown>, message: string): void { this.lines.push({ level: 'warn', fields, message }); }
  error(fields: Record<string, unknown>, message: string): void { this.lines.push({ level: 'error', fields, message }); }

  matching(pattern: RegExp): LogLine[] {
    return this.lines.filter((line) => pattern.test(line.message));
  }
}

export interface Member<M = WidgetCount> {
  readonly id: NodeId;
  readonly transport: PeerTransport<M>;
  readonly network: TcpNetwork;
  readonly logger: CapturingLogger;
  readonly received: Array<{ from: NodeId; message: M }>;
  address: PeerAddress;
}

export interface MemberOptions<M> {
  readonly cluster?: ClusterId;
  readonly port?: number;
  readonly peers?: ReadonlyMap<NodeId, PeerAddress>;
  readonly limits?: Partial<PeerTransportLimits>;
  readonly codec?: Codec<M>;
}

/** Starts one member listening on loopback (an ephemeral port unless told). */
export async function startMember<M = WidgetCount>(id: NodeId, options: MemberOptions<M> = {}): Promise<Member<M>> {
  const network = new TcpNetwork();
  const logger = new CapturingLogger();
  const transport = createTcpPeerTransport<M>({
    self: id,
    clusterId: options.cluster ?? ourCluster,
    listen: { host: '127.0.0.1', port: options.port ?? 0 },
    peers: options.peers ?? new Map(),
    codec: options.codec ?? (widgetCodec as unknown as Codec<M>),
    network,
    logger,
    seed: 7,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const received: Array<{ from: NodeId; message: M }> = [];
  transport.onReceive((from, message) => received.push({ from, message }));
  const address = await transport.start();
  return { id, transport, network, logger, received, address };
}

/** Starts the members, then tells each about all the others in one turn, so no hello meets a member that does not know its sender yet. */
export async function startCluster<M = WidgetCount>(ids: readonly NodeId[], options: Omit<MemberOptions<M>, 'peers' | 'port'> = {}): Promise<Member<M>[]> {
  const members: Member<M>[] = [];
  for (const id of ids) members.push(await startMember<M>(id, options));
  for (const member of members) for (const other of members) if (other !== member) member.transport.addPeer(other.id, other.address);
  return members;
}

export function peerStats<M>(member: Member<M>, peer: NodeId): PeerStatistics {
  const stats = member.transport.statistics().peers.find((p) => p.peer === peer);
  if (stats === undefined) throw new Error(`${member.id} has no channel to ${peer}`);
  return stats;
}

export async function waitFor(description: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await sleep(5);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function allConnected<M>(members: readonly Member<M>[]): Promise<void> {
  await waitFor('every channel to open', () => members.every((m) => m.transport.statistics().peers.every((p) => p.connected)));
}

export function closeAll<M>(members: readonly Member<M>[]): void {
  for (const member of members) member.transport.close();
}

/** "a -> b" read from the other end is "b -> a". */
export const reversed = (label: string): string => label.split(' -> ').reverse().join(' -> ');
