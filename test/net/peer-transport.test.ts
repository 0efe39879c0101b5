import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId } from '../../src/ids.js';
import {
  allConnected, closeAll, jupiter, neptune, nextTurn, peerStats, reversed, saturn, sleep, startCluster, startMember, waitFor,
  type Member, type WidgetCount,
} from './cast.js';

const cities = ['boston', 'philadelphia', 'london', 'pune'];

/** Sends count widget counts from one member to another, burst by burst, pausing when the queue grows (as Raft's flow control would). */
async function sendCounts(from: Member, to: NodeId, count: number, burst: number): Promise<void> {
  for (let sent = 0; sent < count;) {
    for (let i = 0; i < burst && sent < count; i++, sent++) from.transport.send(to, { city: cities[sent % 4]!, count: sent });
    await nextTurn();
    while (peerStats(from, to).queuedMessages > 1000) await sleep(1);
  }
}

const countsFrom = (member: Member, from: NodeId): number[] => member.received.filter((r) => r.from === from).map((r) => r.message.count);

test('jupiter, saturn and neptune talk over exactly one connection per pair, in order both ways', async () => {
  const members = await startCluster([jupiter, saturn, neptune]);
  const [j, s, n] = members as [Member, Member, Member];
  try {
    await allConnected(members);
    // Both sides dial at start; the spare connection of each pair is closed by the tie rule.
    await waitFor('spare connections to close', () => members.every((m) => m.network.statistics().openConnections === 2));
    for (const [a, b] of [[j, s], [j, n], [s, n]] as const) {
      const ab = peerStats(a, b.id);
      const ba = peerStats(b, a.id);
      assert.equal(ab.connection, reversed(ba.connection!), `${a.id} and ${b.id} use the same connection`);
      assert.equal(ab.dialledBy, a.id < b.id ? a.id : b.id, 'the member whose id sorts first dialled the kept connection');
    }
    const acceptedBefore = members.map((m) => m.network.statistics().accepted);

    await Promise.all([sendCounts(j, saturn, 20_000, 500), sendCounts(s, jupiter, 20_000, 500), sendCounts(n, jupiter, 5_000, 100)]);
    await waitFor('every count to arrive', () => countsFrom(s, jupiter).length === 20_000 && countsFrom(j, saturn).length === 20_000 && countsFrom(j, neptune).length === 5_000);

    const inOrder = (n: number) => Array.from({ length: n }, (_, i) => i);
    assert.deepEqual(countsFrom(s, jupiter), inOrder(20_000));
    assert.deepEqual(countsFrom(j, saturn), inOrder(20_000));
    assert.deepEqual(countsFrom(j, neptune), inOrder(5_000));
    assert.deepEqual(s.received.slice(0, 4).map((r) => r.message.city), cities);
    assert.deepEqual(members.map((m) => m.network.statistics().accepted), acceptedBefore, 'no new connection was needed for the traffic');
    assert.ok(members.every((m) => m.network.statistics().openConnections === 2));
    assert.equal(peerStats(j, saturn).messagesSent, 20_000);
    assert.equal(peerStats(s, jupiter).messagesReceived, 20_000);
    assert.ok(peerStats(j, saturn).lastRoundTripMs !== null, 'pings measured a round trip');
  } finally {
    closeAll(members);
  }
});

test('a thousand counts jupiter sends in one turn leave in a handful of writes, not a thousand', async () => {
  for (const coalesceWrites of [true, false]) {
    const members = await startCluster([jupiter, saturn], { limits: { coalesceWrites } });
    const [j, s] = members as [Member, Member];
    try {
      await allConnected(members);
      await sleep(20);
      const writesBefore = j.network.statistics().writes;
      for (let i = 0; i < 1000; i++) j.transport.send(saturn, { city: 'pune', count: i });
      await waitFor('the thousand counts', () => s.received.length === 1000);
      const writes = j.network.statistics().writes - writesBefore;
      if (coalesceWrites) assert.ok(writes <= 5, `coalesced: ${writes} writes for 1000 messages (one per turn, plus a ping or pong)`);
      else assert.ok(writes >= 1000, `uncoalesced: ${writes} writes, one per message`);
      assert.deepEqual(s.received.map((r) => r.message.count), Array.from({ length: 1000 }, (_, i) => i));
    } finally {
      closeAll(members);
    }
  }
});

test('jupiter about to be busy flushes what it sent in this turn at once, in one write, instead of at the end of the turn', async () => {
  const members = await startCluster([jupiter, saturn]);
  const [j, s] = members as [Member, Member];
  try {
    await allConnected(members);
    await sleep(20);
    const writesBefore = j.network.statistics().writes;
    for (let i = 0; i < 10; i++) j.transport.send(saturn, { city: 'london', count: i });
    assert.equal(j.network.statistics().writes, writesBefore, 'queued for the end of the turn');
    j.transport.flush();
    assert.equal(j.network.statistics().writes, writesBefore + 1, 'handed to the socket now, in one write');
    j.transport.flush();
    assert.equal(j.network.statistics().writes, writesBefore + 1, 'nothing left to flush');
    await waitFor('the ten counts', () => s.received.length === 10);
    assert.deepEqual(s.received.map((r) => r.message.count), Array.from({ length: 10 }, (_, i) => i));
  } finally {
    closeAll(members);
  }
});

test('jupiter reconnects to saturn after saturn restarts on the same address; what it sent meanwhile was dropped, not queued', async () => {
  const members = await startCluster([jupiter, saturn]);
  const [j, s] = members as [Member, Member];
  let restarted: Member | null = null;
  try {
    await allConnected(members);
    j.transport.send(saturn, { city: 'boston', count: 1 });
    await waitFor('the first count', () => s.received.length === 1);

    s.transport.close();
    await waitFor('jupiter to notice saturn is gone', () => !peerStats(j, saturn).connected);
    for (let i = 0; i < 10; i++) {
      j.transport.send(saturn, { city: 'boston', count: 100 + i });
      await sleep(10);
    }
    assert.equal(peerStats(j, saturn).dropped.disconnected, 10, 'every count sent while saturn was down is dropped');

    restarted = await startMember(saturn, { port: s.address.port, peers: new Map([[jupiter, j.address]]) });
    await waitFor('the channel to reopen', () => peerStats(j, saturn).connected && peerStats(restarted!, jupiter).connected);
    j.transport.send(saturn, { city: 'boston', count: 2 });
    await waitFor('the count after the restart', () => restarted!.received.length === 1);
    assert.deepEqual(restarted.received.map((r) => r.message.count), [2]);
    assert.equal(peerStats(j, saturn).reconnects, 1);
  } finally {
    closeAll(members);
    restarted?.transport.close();
  }
});

test('neptune joins a running pair, and later moves to a new address', async () => {
  const members = await startCluster([jupiter, saturn]);
  const [j, s] = members as [Member, Member];
  let n = await startMember(neptune, { peers: new Map([[jupiter, j.address], [saturn, s.address]]) });
  let moved: Member | null = null;
  try {
    j.transport.addPeer(neptune, n.address);
    s.transport.addPeer(neptune, n.address);
    await allConnected([j, s, n]);
    j.transport.send(neptune, { city: 'london', count: 3 });
    s.transport.send(neptune, { city: 'london', count: 4 });
    await waitFor('both counts at neptune', () => n.received.length === 2);

    n.transport.close();
    moved = await startMember(neptune, { peers: new Map([[jupiter, j.address], [saturn, s.address]]) });
    assert.notEqual(moved.address.port, n.address.port);
    j.transport.updatePeer(neptune, moved.address);
    s.transport.updatePeer(neptune, moved.address);
    n = moved;
    await allConnected([j, s, moved]);
    j.transport.send(neptune, { city: 'london', count: 5 });
    await waitFor('the count at the new address', () => moved!.received.length === 1);
    assert.equal(moved.received[0]!.message.count, 5);
    assert.equal(peerStats(j, neptune).address, `127.0.0.1:${moved.address.port}`);
  } finally {
    closeAll(members);
    n.transport.close();
  }
});

test('close is idempotent and stops everything: later sends are ignored', async () => {
  const members = await startCluster([jupiter, saturn]);
  const [j, s] = members as [Member, Member];
  await allConnected(members);
  j.transport.close();
  j.transport.close();
  j.transport.send(saturn, { city: 'pune', count: 9 } satisfies WidgetCount);
  await waitFor('saturn to see the channel close', () => !peerStats(s, jupiter).connected);
  await waitFor('jupiter to hold no sockets', () => j.network.statistics().openConnections === 0);
  s.transport.close();
  assert.equal(s.received.length, 0);
});
