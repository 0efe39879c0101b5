// Small helpers the Raft story tests share: start a cluster of the book's
// planets, wait for a client's answer, and read what each node now holds.

import assert from 'node:assert/strict';
import { nodeId, type NodeId } from '../../src/ids.js';
import type { ClientError, Outcome } from '../../src/server/client-errors.js';
import { RaftCluster, type RaftClusterOptions } from '../../src/sim/swarm/raft-cluster.js';

export const planets = ['jupiter', 'saturn', 'neptune'] as const;

export function cluster(seed: number, options: Partial<RaftClusterOptions> = {}): RaftCluster {
  return new RaftCluster({ seed, nodes: planets, ...options });
}

export type Reply<T> = { outcome: Outcome<T> | undefined };

/** Runs the world until the reply arrives (or the limit passes), and returns it. */
export async function answer<T>(world: RaftCluster, reply: Reply<T>, limitMs = 10_000): Promise<Outcome<T> | undefined> {
  await world.world.runUntil(() => reply.outcome !== undefined, { limitMs });
  return reply.outcome;
}

export function put(c: RaftCluster, member: string, key: string, value: string, timeoutMs = 2_000): Reply<unknown> {
  return c.request((done) => c.propose(member, { op: 'put', key, value }, timeoutMs, done));
}

export function failure<T>(outcome: Outcome<T> | undefined): ClientError {
  assert.ok(outcome !== undefined, 'the client got no answer');
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`);
  return (outcome as { ok: false; error: ClientError }).error;
}

/** (index, term) of every entry in the node's durable log after its snapshot. */
export function logOf(c: RaftCluster, node: string): { index: number; term: number }[] {
  return [...c.monitor.durableLog(nodeId(node)).entries];
}

export function termAt(c: RaftCluster, node: string, index: number): number | undefined {
  return logOf(c, node).find((entry) => entry.index === index)?.term;
}

export function others(leader: NodeId): NodeId[] {
  return planets.filter((planet) => planet !== leader).map(nodeId);
}

/**
 * A leader has committed its whole log, and every given node has applied all
 * of it and holds it on disk (a node applies committed entries while its own
 * write of them may still be in flight).
 */
export function settled(c: RaftCluster, nodes: readonly string[] = planets): boolean {
  const leader = c.leader();
  if (leader === null) return false;
  const status = c.node(leader)!.status();
  if (status.commitIndex !== status.lastIndex) return false;
  return nodes.every((id) => {
    const node = c.node(id)?.status();
    // The core's applied index moves only once the Ready that carried those entries is on disk.
    return node !== undefined && node.machineAppliedIndex === status.commitIndex && node.appliedIndex === status.commitIndex;
  });
}

/**
 * Every given node is on the same term and commit index, holds the same log
 * entries up to that commit (wherever both still hold them), and has applied
 * the same state.
 */
export function assertConverged(c: RaftCluster, nodes: readonly string[] = planets): void {
  const [first, ...rest] = nodes.map((id) => {
    const node = c.node(id);
    assert.ok(node !== undefined, `${id} is running`);
    const status = node.status();
    return { id, status, state: node.machine.entries(), log: new Map(logOf(c, id).map((entry) => [entry.index, entry.term])) };
  });
  for (const other of rest) {
    assert.equal(other.status.term, first!.status.term, `${other.id} and ${first!.id} are on one term`);
    assert.equal(other.status.commitIndex, first!.status.commitIndex, `${other.id} and ${first!.id} agree on the commit index`);
    assert.equal(other.status.machineAppliedIndex, other.status.commitIndex, `${other.id} applied all it committed`);
    assert.deepEqual(other.state, first!.state, `${other.id} and ${first!.id} hold the same state`);
    for (const [index, entryTerm] of other.log) {
      if (index > other.status.commitIndex || !first!.log.has(index)) continue;
      assert.equal(entryTerm, first!.log.get(index), `${other.id} and ${first!.id} agree on the entry at ${index}`);
    }
  }
}
