// Helpers for the consistent core's story tests: a cluster of the book's
// planets running CoreNodes, and small clients that put, read and watch.

import assert from 'node:assert/strict';
import type { NodeId } from '../../src/ids.js';
import type { KeyValue, PutResponse, RangeResponse } from '../../src/kv/types.js';
import type { ClientError, Outcome } from '../../src/server/client-errors.js';
import type { CoreOutcome } from '../../src/server/core-machine.js';
import type { ProposeOptions } from '../../src/server/core-node.js';
import type { ReadConsistency } from '../../src/server/follower-reads.js';
import { CoreCluster, type CoreClusterOptions } from '../../src/sim/swarm/core-cluster.js';

export const planets = ['jupiter', 'saturn', 'neptune'] as const;
const utf8 = new TextEncoder();
const text = new TextDecoder();
export const bytes = (value: string): Uint8Array => utf8.encode(value);
export const str = (value: Uint8Array): string => text.decode(value);

export function coreCluster(seed: number, options: Partial<CoreClusterOptions> = {}): CoreCluster {
  return new CoreCluster({ seed, nodes: planets, ...options });
}

export type Reply<T> = { outcome: Outcome<T> | undefined };

export async function answer<T>(c: CoreCluster, reply: Reply<T>, limitMs = 10_000): Promise<Outcome<T>> {
  await c.world.runUntil(() => reply.outcome !== undefined, { limitMs });
  assert.ok(reply.outcome !== undefined, `no answer within ${limitMs} ms`);
  return reply.outcome;
}

export function put(c: CoreCluster, member: string, key: string, value: string, extra: { lease?: bigint; options?: Partial<ProposeOptions> } = {}): Reply<CoreOutcome> {
  const request = { key: bytes(key), value: bytes(value), prevKv: true, ...(extra.lease === undefined ? {} : { lease: extra.lease }) };
  return c.request((done) => c.call(member, done, (node) => node.kv({ type: 'put', request }, { timeoutMs: 5_000, ...extra.options }, done)));
}

export function grantLease(c: CoreCluster, member: string, id: bigint, ttlSeconds: number): Reply<CoreOutcome> {
  return c.request((done) => c.call(member, done, (node) => node.kv({ type: 'lease-grant', request: { id, ttlSeconds } }, { timeoutMs: 5_000 }, done)));
}

export function read(c: CoreCluster, member: string, key: string, consistency: ReadConsistency): Reply<RangeResponse> {
  return c.request((done) => c.call(member, done, (node) => node.read(consistency, 5_000, (machine) => {
    const result = machine.kv.range({ key: bytes(key) });
    if (!result.ok) throw result.error;
    return result.value;
  }, done)));
}

/** The value of `key` in a member's applied state (no request: the test looks inside). */
export function valueAt(c: CoreCluster, member: string, key: string, revision = 0): string | undefined {
  const result = c.node(member)!.machine.kv.range({ key: bytes(key), revision });
  assert.ok(result.ok, `range on ${member} failed`);
  const kv = result.value.kvs[0];
  return kv === undefined ? undefined : str(kv.value);
}

export function kvOf(c: CoreCluster, member: string, key: string): KeyValue | undefined {
  const result = c.node(member)!.machine.kv.range({ key: bytes(key) });
  assert.ok(result.ok);
  return result.value.kvs[0];
}

export function succeeded(outcome: Outcome<CoreOutcome>): NonNullable<unknown> {
  assert.equal(outcome.ok, true, outcome.ok ? '' : `request failed: ${outcome.error.message}`);
  const core = (outcome as { ok: true; value: CoreOutcome }).value;
  assert.equal(core.ok, true, core.ok ? '' : `the store refused: ${core.error.message}`);
  return (core as { ok: true; value: NonNullable<unknown> }).value;
}

export function putRevision(outcome: Outcome<CoreOutcome>): number {
  const value = succeeded(outcome) as { type: string; response: PutResponse };
  assert.equal(value.type, 'put');
  return value.response.revision;
}

export function failure<T>(outcome: Outcome<T>): ClientError {
  assert.equal(outcome.ok, false, 'expected the request to fail');
  return (outcome as { ok: false; error: ClientError }).error;
}

/** Every running member applied everything the leader committed. */
export function settled(c: CoreCluster, members: readonly string[] = planets): boolean {
  const leader = c.leader();
  if (leader === null) return false;
  const status = c.node(leader)!.status();
  if (status.commitIndex !== status.lastIndex) return false;
  return members.every((id) => c.node(id)?.status().machineAppliedIndex === status.commitIndex);
}

export function others(c: CoreCluster, leader: NodeId): NodeId[] {
  return c.machines().filter((id) => id !== leader);
}
