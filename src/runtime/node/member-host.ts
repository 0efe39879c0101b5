// A member of a Trellis cluster as a real process: the data directory on the
// local disk, the peer transport over TCP, the system clock and timers, and
// etcd's gRPC API on the client port, all wired around one CoreNode. This is
// the composition root of `trellis server`; everything it wires is tested on
// its own, and the simulator runs the same CoreNode with simulated parts.

import { randomInt } from 'node:crypto';
import type { ClusterConfig } from '../../consensus/types.js';
import { RaftBackend } from '../../api/etcd/raft-backend.js';
import { startEtcdServer, type EtcdServer } from '../../api/etcd/server.js';
import { ConfigError, type MemberConfig, type InitialMember, initialMembers, clusterIdOf, nodeIdOfMember } from '../../api/etcd/member-config.js';
import { CoreNode } from '../../server/core-node.js';
import type { MemberContext, MemberRecord } from '../../server/member-table.js';
import { memberWireCodec, splitMemberTransport, type MemberWire } from '../../server/peer-mux.js';
import { RaftStorage } from '../../server/raft-storage.js';
import type { PeerTransport } from '../../net/peer-transport.js';
import type { Logger } from '../logger.js';
import { SeededRandom } from '../random.js';
import { NodeDisk } from './node-disk.js';
import { TimedDisk } from './timed-disk.js';
import { processMetricFamilies } from './member-metrics.js';
import type { Disk } from '../disk.js';
import { SystemClock, SystemTimers } from './system-clock.js';
import { TcpNetwork, createTcpPeerTransport, type PeerAddress } from './tcp-transport.js';
import { openDataDirectory, readIdentity, type MemberIdentity } from './data-directory.js';
import { discoverSelf } from '../../net/discovery.js';
import type { Discovery } from '../../net/wire.js';
import { clusterId, type NodeId } from '../../ids.js';

/** Zeros the WAL writes ahead of its end at a time: about 13,000 entries of a 256-byte put. */
const walPreallocateBytes = 4 * 1024 * 1024;

export interface RunningMember {
  readonly identity: MemberIdentity;
  readonly node: CoreNode;
  readonly transport: PeerTransport<MemberWire>;
  /** Where clients reach this member, e.g. http://127.0.0.1:2379. */
  readonly clientEndpoint: string;
  readonly metricsPort: number | null;
  close(): Promise<void>;
}

export function addressOf(url: string): PeerAddress {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) };
}

/**
 * Bench switches, read from the environment: not settings (etcd has no such
 * flags), but the way `trellis bench etcd` turns one pattern off to show what
 * it buys (TRELLIS_B_ENV gives them to the trellis-b system only):
 * - TRELLIS_WAL_PREALLOCATE_BYTES: zeros written ahead of the WAL's end, which
 *   make each fdatasync a data flush rather than a journal commit; 0 turns it off;
 * - TRELLIS_WAL_BATCH_RECORDS: most records per fdatasync; 1 turns the
 *   Request Batch at the disk off (each entry its own write and sync);
 * - TRELLIS_MAX_INFLIGHT_APPENDS: the Request Pipeline window per follower;
 *   1 turns the pipeline off (one append in flight);
 * - TRELLIS_PEER_BATCH_BYTES: most bytes per write on a Single-Socket
 *   Channel; 1 turns write coalescing off (one write per frame).
 */
export function benchSwitches(env: Readonly<Record<string, string | undefined>> = process.env): { walPreallocateBytes: number; walBatchRecords?: number; maxInflightAppends?: number; peerBatchBytes?: number } {
  const read = (name: string): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`${name}=${text}: expected a whole number`);
    return value;
  };
  const positive = (name: string): number | undefined => {
    const value = read(name);
    if (value === 0) throw new ConfigError(`${name}=0: expected at least 1`);
    return value;
  };
  return {
    walPreallocateBytes: read('TRELLIS_WAL_PREALLOCATE_BYTES') ?? walPreallocateBytes,
    walBatchRecords: positive('TRELLIS_WAL_BATCH_RECORDS'),
    maxInflightAppends: positive('TRELLIS_MAX_INFLIGHT_APPENDS'),
    peerBatchBytes: positive('TRELLIS_PEER_BATCH_BYTES'),
  };
}

export async function startMember(config: MemberConfig, logger: Logger): Promise<RunningMember> {
  const disk = new TimedDisk(new NodeDisk({ root: config.dataDir }));
  const initial = initialMembers(config);
  const network = new TcpNetwork();
  const clock = new SystemClock();
  const timers = new SystemTimers();
  // A member joining a running cluster first asks the others who it is.
  let joined: Discovery | null = null;
  if (config.initialClusterState === 'existing' && (await readIdentityIfAny(disk, config.dataDir)) === undefined) {
    const others = initial.filter((member) => member.name !== config.name).map((member) => addressOf(member.peerUrls[0]!));
    joined = await discoverSelf(others, config.initialAdvertisePeerUrls, { network, clock, timers, timeoutMs: 2_000, maxFrameBytes: 1024 * 1024 });
  }
  const identity = await openDataDirectory(disk, config, initial, logger, joined === null || joined.self === null ? undefined : { clusterId: joined.clusterId, memberId: joined.self.id });
  const self = nodeIdOfMember(identity.memberId);
  const switches = benchSwitches();
  const storage = await RaftStorage.open(disk, 'member/raft', {
    logger, wallClock: clock, wal: { preallocateBytes: switches.walPreallocateBytes, ...(switches.walBatchRecords === undefined ? {} : { maxBatchRecords: switches.walBatchRecords }) },
  });

  // Who to dial at first: the initial members (a bootstrapped member), or the members the cluster named (a joiner).
  // After that the replicated member table decides, as it changes through the log.
  const peers = new Map<NodeId, PeerAddress>();
  if (identity.bootstrap) for (const member of initial) if (member.node !== self) peers.set(member.node, addressOf(member.peerUrls[0]!));
  if (joined !== null) for (const member of joined.members) if (member.node !== self && member.peerUrls.length > 0) peers.set(member.node, addressOf(member.peerUrls[0]!));
  let running: CoreNode | null = null;
  const listen = config.listenPeerUrls[0]!;
  const transport = createTcpPeerTransport<MemberWire>({
    self, clusterId: clusterId(identity.clusterId), listen: { host: hostOf(listen), port: Number(listen.port) },
    peers, codec: memberWireCodec, logger, network,
    ...(switches.peerBatchBytes === undefined ? {} : { limits: { maxBatchBytes: switches.peerBatchBytes } }),
    discover: (peerUrls) => whoIs(running, identity.clusterId, peerUrls),
    onRefused: (_peer, reason, text) => {
      if (reason === 'removed') running?.learnRemoved(text);
    },
  });
  try {
    await transport.start();
  } catch (error) {
    await storage.close();
    throw error;
  }
  const { raft, peer } = splitMemberTransport(transport);
  const electionTicks = Math.max(2, Math.round(config.electionTimeoutMs / config.heartbeatIntervalMs));
  const bootstrap: ClusterConfig = identity.bootstrap
    ? { voters: initial.map((member) => member.node), outgoingVoters: [], learners: [] }
    : { voters: [], outgoingVoters: [], learners: [] };
  const bootstrapMembers = new Map<NodeId, MemberContext>(initial.map((member: InitialMember) => [member.node, { id: member.id, name: member.name, peerUrls: member.peerUrls }]));
  const node: CoreNode = await CoreNode.start({
    id: self, clock, timers, logger,
    random: new SeededRandom(randomInt(0x7fff_ffff)),
    raftTransport: raft, peerTransport: peer, storage, bootstrap, bootstrapMembers,
    raft: { electionTicks, heartbeatTicks: 1, ...(switches.maxInflightAppends === undefined ? {} : { maxInflightAppends: switches.maxInflightAppends }) },
    limits: { tickMs: config.heartbeatIntervalMs, snapshotEntries: config.snapshotCount },
    machine: { kvLimits: { quotaBytes: config.quotaBackendBytes, maxRequestBytes: config.maxRequestBytes, maxTxnOps: config.maxTxnOps } },
    leaseExtendOnPromoteMs: config.electionTimeoutMs,
    unsafeStaleReads: config.unsafeStaleLinearizableReads,
  });

  // A member removed from the cluster cannot come back on its old data directory (etcd refuses it too).
  if (node.machine.members.isRemoved(identity.memberId)) {
    node.stop('removed from the cluster');
    await storage.close();
    transport.close();
    throw new ConfigError(`member ${config.name} (${identity.memberId.toString(16)}) was removed from the cluster: add it again with \`etcdctl member add\` and start it with a fresh data directory and --initial-cluster-state existing`);
  }

  // The member table decides who the peers are: follow it as it changes through the log.
  // A removed member's channel stays open a little longer: its last words (the answer to the request that removed
  // it, when it led; its final commit index) are on their way, and are answered before it is refused for good.
  const removalGraceMs = 2 * config.electionTimeoutMs;
  const follow = (member: MemberRecord, removed: boolean): void => {
    if (member.node === self) return;
    if (removed) timers.schedule(removalGraceMs, () => transport.removePeer(member.node));
    else if (member.peerUrls.length > 0) transport.updatePeer(member.node, addressOf(member.peerUrls[0]!));
  };
  node.machine.members.onChange((change) => follow(change.member, change.type === 'removed'));
  for (const member of node.machine.members.list()) follow(member, false);
  const known = new Set(node.machine.members.list().map((member) => member.node));
  // Flags may name members removed since: once the table is known, it alone decides.
  if (known.size > 0) for (const peer of transport.peers().keys()) if (!known.has(peer)) transport.removePeer(peer);
  running = node;

  const requestTimeoutMs = 5_000 + 2 * config.electionTimeoutMs;
  const backend = new RaftBackend({
    node, clusterId: identity.clusterId, name: config.name, requestTimeoutMs, advertiseClientUrls: config.advertiseClientUrls,
    extraMetrics: () => processMetricFamilies(disk, transport.statistics()),
  });
  const client = config.listenClientUrls[0]!;
  const metrics = config.listenMetricsUrls[0];
  const hostOfUrl = hostOf;
  let server: EtcdServer;
  try {
    server = await startEtcdServer({
      backend, listen: { host: hostOfUrl(client), port: Number(client.port) },
      ...(metrics === undefined ? {} : { http: { host: hostOfUrl(metrics), port: Number(metrics.port) } }),
      maxRequestBytes: config.maxRequestBytes, maxTxnOps: config.maxTxnOps, requestTimeoutMs, logger,
      // A bench switch, not a setting: grpc-js's server in place of the lean one, to measure what the lean one buys.
      grpcImplementation: process.env['TRELLIS_GRPC_SERVER'] === 'grpc-js' ? 'grpc-js' : 'lean',
    });
  } catch (error) {
    node.stop('the client port could not be opened');
    await storage.close();
    throw error;
  }
  logger.info({ member: self, cluster: identity.clusterId.toString(16), client: server.endpoint, nodeFlags: process.execArgv }, `member ${config.name} (${self}) serving etcd clients on ${server.endpoint}`);

  let closing: Promise<void> | null = null;
  return {
    identity, node, transport, clientEndpoint: server.endpoint, metricsPort: server.httpPort,
    close() {
      closing ??= (async () => {
        await server.close();
        backend.close();
        node.stop('shutting down');
        await storage.close();
      })();
      return closing;
    },
  };
}

/** A joining member's question, answered from the replicated member table. */
function whoIs(node: CoreNode | null, cluster: bigint, peerUrls: readonly string[]): Discovery {
  if (node === null) return { clusterId: clusterId(cluster), self: null, members: [], text: 'this member is still starting' };
  const members = node.machine.members.list();
  const match = members.find((member) => member.peerUrls.some((url) => peerUrls.includes(url)));
  const text = match === undefined ? `no member has peer URLs ${peerUrls.join(',')}: add it first with \`etcdctl member add <name> --peer-urls=${peerUrls.join(',')}\`` : '';
  return {
    clusterId: clusterId(cluster),
    self: match === undefined ? null : { node: match.node, id: match.id },
    members: members.map((member) => ({ node: member.node, peerUrls: [...member.peerUrls] })),
    text,
  };
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

async function readIdentityIfAny(disk: Disk, dataDir: string): Promise<MemberIdentity | undefined> {
  return (await disk.exists('member/identity')) ? readIdentity(disk, dataDir) : undefined;
}

export { clusterIdOf };
