// An in-process Trellis member for API tests: the real CoreNode (Raft, MVCC
// store, leases, watches) as a cluster of one with its log in memory, behind
// the real RaftBackend and gRPC server, on an ephemeral port. It elects
// itself within a few tens of milliseconds (short ticks).

import { nodeId } from '../../src/ids.js';
import { RaftBackend } from '../../src/api/etcd/raft-backend.js';
import { startEtcdServer, type EtcdServer } from '../../src/api/etcd/server.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { SystemClock, SystemTimers } from '../../src/runtime/node/system-clock.js';
import type { Transport } from '../../src/runtime/transport.js';
import { CoreNode } from '../../src/server/core-node.js';
import { MemoryPersistence } from '../../src/server/memory-persistence.js';
import { memberIdFromText } from '../../src/server/member-table.js';

export interface RaftEtcd {
  readonly node: CoreNode;
  readonly backend: RaftBackend;
  readonly server: EtcdServer;
  readonly address: string;
  close(): Promise<void>;
}

function alone<M>(self: string): Transport<M> {
  return { self: nodeId(self), send: () => {}, onReceive: () => {}, close: () => {} };
}

export async function startRaftEtcd(): Promise<RaftEtcd> {
  const self = nodeId('jupiter');
  const clock = new SystemClock();
  const timers = new SystemTimers();
  const node = await CoreNode.start({
    id: self, clock, timers, logger: silentLogger, random: new SeededRandom(7),
    raftTransport: alone(self), peerTransport: alone(self), storage: new MemoryPersistence(),
    bootstrap: { voters: [self], outgoingVoters: [], learners: [] },
    bootstrapMembers: new Map([[self, { id: memberIdFromText('jupiter'), name: 'jupiter', peerUrls: ['http://127.0.0.1:2380'] }]]),
    raft: { electionTicks: 5, heartbeatTicks: 1 },
    limits: { tickMs: 5 },
  });
  const backend = new RaftBackend({ node, clusterId: 0x7ee11157n, name: 'jupiter', requestTimeoutMs: 5_000 });
  const server = await startEtcdServer({ backend, listen: { host: '127.0.0.1', port: 0 }, timers });
  const deadline = Date.now() + 10_000;
  while (node.status().role !== 'leader') {
    if (Date.now() > deadline) throw new Error('the single member did not elect itself');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return {
    node, backend, server, address: `127.0.0.1:${server.port}`,
    async close() {
      await server.close();
      backend.close();
      node.stop();
    },
  };
}
