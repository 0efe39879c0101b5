// A member of a Trellis cluster as a real process: the data directory on the
// local disk, the peer transport over TCP, the system clock and timers, and
// etcd's gRPC API on the client port, all wired around one CoreNode. This is
// the composition root of `trellis server`; everything it wires is tested on
// its own, and the simulator runs the same CoreNode with simulated parts.

import { randomInt } from 'node:crypto';
import type { NodeId } from '../../ids.js';
import type { ClusterConfig } from '../../consensus/types.js';
import { RaftBackend } from '../../api/etcd/raft-backend.js';
import { startEtcdServer, type EtcdServer } from '../../api/etcd/server.js';
import { type MemberConfig, type InitialMember, initialMembers, clusterIdOf, nodeIdOfMember } from '../../api/etcd/member-config.js';
import { CoreNode } from '../../server/core-node.js';
import type { MemberContext, MemberRecord } from '../../server/member-table.js';
import { memberWireCodec, splitMemberTransport, type MemberWire } from '../../server/peer-mux.js';
import { RaftStorage } from '../../server/raft-storage.js';
import type { PeerTransport } from '../../net/peer-transport.js';
import type { Logger } from '../logger.js';
import { SeededRandom } from '../random.js';
import { NodeDisk } from './node-disk.js';
import { SystemClock, SystemTimers } from './system-clock.js';
import { createTcpPeerTransport, type PeerAddress } from './tcp-transport.js';
import { openDataDirectory, type MemberIdentity } from './data-directory.js';

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

export async function startMember(config: MemberConfig, logger: Logger): Promise<RunningMember> {
  const disk = new NodeDisk({ root: config.dataDir });
  const initial = initialMembers(config);
  const identity = await openDataDirectory(disk, config, initial, logger);
  const self = nodeIdOfMember(identity.memberId);
  const clock = new SystemClock();
  const timers = new SystemTimers();
  const storage = await RaftStorage.open(disk, 'member/raft', { logger, wallClock: clock });

  const peers = new Map<NodeId, PeerAddress>();
  for (const member of initial) if (member.node !== self) peers.set(member.node, addressOf(member.peerUrls[0]!));
  const listen = config.listenPeerUrls[0]!;
  const transport = createTcpPeerTransport<MemberWire>({
    self, clusterId: identity.clusterId as never, listen: { host: listen.hostname.replace(/^\[|\]$/g, ''), port: Number(listen.port) },
    peers, codec: memberWireCodec, logger,
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
  const node = await CoreNode.start({
    id: self, clock, timers, logger,
    random: new SeededRandom(randomInt(0x7fff_ffff)),
    raftTransport: raft, peerTransport: peer, storage, bootstrap, bootstrapMembers,
    raft: { electionTicks, heartbeatTicks: 1 },
    limits: { tickMs: config.heartbeatIntervalMs, snapshotEntries: config.snapshotCount },
    machine: { kvLimits: { quotaBytes: config.quotaBackendBytes, maxRequestBytes: config.maxRequestBytes, maxTxnOps: config.maxTxnOps } },
    leaseExtendOnPromoteMs: config.electionTimeoutMs,
    unsafeStaleReads: config.unsafeStaleLinearizableReads,
  });

  // The member table decides who the peers are: follow it as it changes through the log.
  const follow = (member: MemberRecord, removed: boolean): void => {
    if (member.node === self) return;
    if (removed) transport.removePeer(member.node);
    else if (member.peerUrls.length > 0) transport.updatePeer(member.node, addressOf(member.peerUrls[0]!));
  };
  node.machine.members.onChange((change) => follow(change.member, change.type === 'removed'));
  for (const member of node.machine.members.list()) follow(member, false);

  const requestTimeoutMs = 5_000 + 2 * config.electionTimeoutMs;
  const backend = new RaftBackend({ node, clusterId: identity.clusterId, name: config.name, requestTimeoutMs, advertiseClientUrls: config.advertiseClientUrls });
  const client = config.listenClientUrls[0]!;
  const metrics = config.listenMetricsUrls[0];
  let server: EtcdServer;
  try {
    server = await startEtcdServer({
      backend, listen: { host: client.hostname.replace(/^\[|\]$/g, ''), port: Number(client.port) },
      ...(metrics === undefined ? {} : { http: { host: metrics.hostname.replace(/^\[|\]$/g, ''), port: Number(metrics.port) } }),
      maxRequestBytes: config.maxRequestBytes, maxTxnOps: config.maxTxnOps, requestTimeoutMs, logger,
    });
  } catch (error) {
    node.stop('the client port could not be opened');
    await storage.close();
    throw error;
  }
  logger.info({ member: self, cluster: identity.clusterId.toString(16), client: server.endpoint }, `member ${config.name} (${self}) serving etcd clients on ${server.endpoint}`);

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

export { clusterIdOf };
