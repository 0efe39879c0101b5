// The consistent core's stories (issue 4): leases across a leader change,
// expiry in one revision, a watcher that moves to another member, a retried
// write applied once, and a follower's linearizable read. Each injects one
// fault and checks what the client saw and what every member holds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefixRangeEnd } from '../../src/check/index.js';
import type { WatchResponse } from '../../src/kv/watch-hub.js';
import { defaultSlabBytes } from '../../src/log/entry-slabs.js';
import type { CoreNode } from '../../src/server/core-node.js';
import {
  answer, bytes, coreCluster, failure, grantLease, kvOf, others, planets, put, putRevision, read, settled, str, succeeded, valueAt,
} from './core-helpers.js';

test('a lease outlives a leader change: the new leader gives it its full TTL again', async () => {
  const c = coreCluster(21);
  const leader = await c.electLeader();
  succeeded(await answer(c, grantLease(c, leader, 7n, 3)));
  putRevision(await answer(c, put(c, leader, 'pune', 'alice-session', { lease: 7n })));
  const grantedAtMs = c.world.nowMs();

  await c.world.runFor(1_500);
  c.world.crash(leader);
  await c.world.runUntil(() => c.leader() !== null, { limitMs: 10_000 });
  const successor = c.leader()!;
  const electedAtMs = c.world.nowMs();

  // Past the lease's TTL counted from the grant, the key is still there: the countdown restarted with the new leader.
  await c.world.runUntil(() => c.world.nowMs() >= Math.max(grantedAtMs + 3_500, electedAtMs + 500), { limitMs: 10_000 });
  for (const node of others(c, leader)) assert.equal(valueAt(c, node, 'pune'), 'alice-session', `${node} still holds pune`);

  await c.world.runUntil(() => valueAt(c, successor, 'pune') === undefined, { limitMs: 10_000 });
  assert.ok(c.world.nowMs() >= electedAtMs + 3_000, 'the lease lived a full TTL under the new leader');
  await c.world.runUntil(() => settled(c, others(c, leader)), { limitMs: 5_000 });
  for (const node of others(c, leader)) {
    assert.equal(valueAt(c, node, 'pune'), undefined, `${node} deleted pune with the lease`);
    assert.equal(c.node(node)!.machine.kv.leaseInfo(7n), null, `${node} forgot lease 7`);
  }
});

test('the keys of an expired lease vanish together, in one revision, on every member', async () => {
  const c = coreCluster(22);
  const leader = await c.electLeader();
  succeeded(await answer(c, grantLease(c, leader, 42n, 2)));
  for (const city of ['boston', 'philadelphia', 'london']) await answer(c, put(c, leader, city, '5', { lease: 42n }));
  const lastPut = putRevision(await answer(c, put(c, leader, 'pune', '9')));

  await c.world.runUntil(() => valueAt(c, leader, 'boston') === undefined, { limitMs: 10_000 });
  await c.world.runUntil(() => settled(c), { limitMs: 5_000 });
  for (const node of planets) {
    const machine = c.node(node)!.machine.kv;
    assert.equal(machine.revision, lastPut + 1, `${node}: the expiry took exactly one revision`);
    for (const city of ['boston', 'philadelphia', 'london']) {
      assert.equal(valueAt(c, node, city, lastPut), '5', `${node} held ${city} at ${lastPut}`);
      assert.equal(valueAt(c, node, city), undefined, `${node} deleted ${city} at ${lastPut + 1}`);
    }
    assert.equal(valueAt(c, node, 'pune'), '9', `${node} kept pune, which had no lease`);
  }
});

test('a watcher on saturn reconnects to neptune after saturn crashes and resumes with no gap and no duplicate', async () => {
  const c = coreCluster(23);
  const leader = await c.electLeader();
  const [first, second] = others(c, leader);
  const seen: number[] = [];
  const watchFrom = (node: CoreNode, startRevision: number): (() => void) => {
    const { watchId } = node.hub.watch({ key: bytes('city/'), rangeEnd: bytes(prefixRangeEnd('city/')), startRevision });
    return () => {
      for (let response: WatchResponse | null; (response = node.hub.take(watchId)) !== null;) {
        if (response.kind === 'events') for (const event of response.events) seen.push(event.kv.modRevision);
      }
    };
  };
  let drain = watchFrom(c.node(first!)!, 0);
  const written: number[] = [];
  for (let i = 0; i < 4; i++) written.push(putRevision(await answer(c, put(c, leader, `city/boston`, `${i}`))));
  await c.world.runUntil(() => (drain(), seen.length === 4), { limitMs: 5_000 });

  c.world.crash(first!);
  for (let i = 0; i < 3; i++) written.push(putRevision(await answer(c, put(c, leader, `city/pune`, `${i}`))));
  drain = watchFrom(c.node(second!)!, seen[seen.length - 1]! + 1);
  for (let i = 0; i < 3; i++) written.push(putRevision(await answer(c, put(c, leader, `city/london`, `${i}`))));
  await c.world.runUntil(() => (drain(), seen.length >= written.length), { limitMs: 5_000 });

  assert.deepEqual(seen, written, 'every write seen once, in revision order, across the move');
});

test('alice\'s put retried after a leader change is applied once, and the retry gets the first answer', async () => {
  const c = coreCluster(24);
  const leader = await c.electLeader();
  const followers = others(c, leader);
  const before = c.node(leader)!.machine.kv.revision;
  const requestId = { session: 'alice', seq: 1 };
  // The followers' acknowledgements are held back, so the leader cannot commit and answer alice.
  for (const follower of followers) c.world.clog(follower, leader);
  const first = put(c, leader, 'boston', '10', { options: { requestId } });
  await c.world.runFor(1);
  const index = c.node(leader)!.status().lastIndex;
  // Both followers hold the entry durably; the leader dies before it can tell alice.
  await c.world.runUntil(() => followers.every((id) => c.monitor.durableLog(id).entries.some((entry) => entry.index === index)), { limitMs: 2_000 });
  c.world.crash(leader);
  c.world.heal();
  await c.world.runUntil(() => c.leader() !== null, { limitMs: 10_000 });
  assert.equal(first.outcome, undefined, 'alice never heard back');

  const retry = await answer(c, put(c, c.leader()!, 'boston', '10', { options: { requestId } }));
  assert.equal(putRevision(retry), before + 1, 'the retry is told the first write\'s revision');
  await c.world.runUntil(() => settled(c, followers), { limitMs: 5_000 });
  for (const node of followers) {
    const kv = kvOf(c, node, 'boston')!;
    assert.equal(kv.version, 1, `${node}: boston was written once`);
    assert.equal(kv.modRevision, before + 1);
    assert.equal(c.node(node)!.machine.kv.revision, before + 1, `${node}: the retry added no revision`);
  }
});

test('alice\'s put retried after a follower\'s wall clock jumps an hour ahead is still applied once', async () => {
  const c = coreCluster(31);
  const leader = await c.electLeader();
  const [jumper] = others(c, leader);
  const requestId = { session: 'alice', seq: 1 };
  const first = putRevision(await answer(c, put(c, leader, 'boston', '10', { options: { requestId } })));
  const logClockBefore = c.node(leader)!.machine.logClockMs;

  // The follower's wall clock leaps an hour (six times the sessions' idle limit), and it then proposes a write of its own.
  c.world.jumpWallClock(jumper!, 60 * 60 * 1000);
  putRevision(await answer(c, put(c, jumper!, 'pune', '4')));
  await c.world.runUntil(() => settled(c), { limitMs: 5_000 });
  for (const node of planets) {
    const advancedMs = c.node(node)!.machine.logClockMs - logClockBefore;
    assert.ok(advancedMs < 60_000, `${node}: the log's clock moved ${advancedMs} ms, not the hour of one member's wall clock`);
  }

  // alice never heard her answer and sends the same request again: it is recognized, not applied twice.
  const retry = await answer(c, put(c, leader, 'boston', '10', { options: { requestId } }));
  assert.equal(putRevision(retry), first, 'the retry is told the first write\'s revision');
  await c.world.runUntil(() => settled(c), { limitMs: 5_000 });
  for (const node of planets) assert.equal(kvOf(c, node, 'boston')!.version, 1, `${node}: boston was written once`);
});

test('bob reads from a lagging follower: serializable is stale, linearizable reflects alice\'s acknowledged write', async () => {
  const c = coreCluster(25);
  const leader = await c.electLeader();
  const [laggard] = others(c, leader);
  // The leader's messages reach the laggard 400 ms late: it still hears heartbeats, but trails the log.
  c.world.configureLink(leader, laggard!, { minLatencyMs: 400, maxLatencyMs: 400 });
  await c.world.runFor(1_000);
  const written = putRevision(await answer(c, put(c, leader, 'london', '3')));

  const stale = await answer(c, read(c, laggard!, 'london', 'serializable'));
  assert.ok(stale.ok);
  assert.equal(stale.value.kvs.length, 0, 'the follower has not applied alice\'s write yet');

  const fresh = await answer(c, read(c, laggard!, 'london', 'linearizable'));
  assert.ok(fresh.ok, fresh.ok ? '' : fresh.error.message);
  assert.equal(str(fresh.value.kvs[0]!.value), '3', 'the read waited until the follower applied the write');
  assert.ok(fresh.value.revision >= written, 'served at or after the acknowledged write');
});

test('a write to a follower is forwarded to the leader and answered by the follower once applied there', async () => {
  const c = coreCluster(26);
  const leader = await c.electLeader();
  const [follower] = others(c, leader);
  const revision = putRevision(await answer(c, put(c, follower!, 'philadelphia', '11')));
  assert.equal(valueAt(c, follower!, 'philadelphia'), '11', 'the follower answered after applying it itself');
  assert.equal(c.node(follower!)!.machine.kv.revision >= revision, true);
});

test('a request to a member that knows no leader fails at its deadline, not with a false success', async () => {
  const c = coreCluster(27);
  const leader = await c.electLeader();
  const [follower] = others(c, leader);
  c.world.isolate(follower!);
  await c.world.runFor(3_000);
  const reply = put(c, follower!, 'boston', '1', { options: { timeoutMs: 2_000 } });
  const error = failure(await answer(c, reply));
  assert.equal(error.code, 'deadline-exceeded');
  assert.equal(valueAt(c, leader, 'boston'), undefined);
});

test('reads waiting on a leader that vanishes complete under the next leader, even when the reader itself is elected', async () => {
  const c = coreCluster(28);
  const leader = await c.electLeader();
  putRevision(await answer(c, put(c, leader, 'boston', '7')));
  const [first, second] = others(c, leader);
  // The leader is cut off the moment the reads are asked: their read-index requests go nowhere.
  c.world.isolate(leader);
  const reads = [read(c, first!, 'boston', 'linearizable'), read(c, second!, 'boston', 'linearizable')];
  await c.world.runUntil(() => c.leader() !== null && c.leader() !== leader, { limitMs: 10_000 });
  assert.ok([first, second].includes(c.leader()!), 'one of the readers now leads');
  for (const reply of reads) {
    const outcome = await answer(c, reply);
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    assert.equal(str(outcome.value.kvs[0]!.value), '7');
  }
});

test('alice\'s puts, proposed one after another, lie back to back in a slab of the leader\'s own, not in Node\'s shared buffer pool', async () => {
  const c = coreCluster(26);
  const leader = await c.electLeader();
  const raft = c.node(leader)!.raft;
  const proposed: Uint8Array[] = [];
  const proposeKeyed = raft.proposeKeyed.bind(raft);
  raft.proposeKeyed = (key, data, options, done) => {
    proposed.push(data);
    proposeKeyed(key, data, options, done);
  };
  for (const city of ['boston', 'philadelphia', 'london', 'pune']) succeeded(await answer(c, put(c, leader, city, '10')));
  assert.equal(proposed.length, 4);
  // A view of the pool would sit in an 8 KiB slab shared with frames and answers, and keep it alive while the entry lives.
  for (const data of proposed) assert.equal(data.buffer.byteLength, defaultSlabBytes);
  for (let i = 1; i < proposed.length; i++) {
    assert.equal(proposed[i]!.buffer, proposed[0]!.buffer, 'one slab');
    assert.equal(proposed[i]!.byteOffset, proposed[i - 1]!.byteOffset + proposed[i - 1]!.length, 'back to back');
  }
  assert.equal(valueAt(c, leader, 'pune'), '10');
});
