import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allConnected, closeAll, jupiter, neptune, otherCluster, peerStats, saturn, sleep, startCluster, startMember, waitFor, type Member,
} from './cast.js';

test('jupiter and saturn of different clusters refuse each other, both say why, and neither retries in a tight loop', async () => {
  const j = await startMember(jupiter);
  const s = await startMember(saturn, { cluster: otherCluster });
  try {
    j.transport.addPeer(saturn, s.address);
    s.transport.addPeer(jupiter, j.address);
    const saturnAbroad = "saturn belongs to cluster 7f3a0b1ec0de0002, not to jupiter's cluster 91c25e0d33aa0001";
    const jupiterAbroad = "jupiter belongs to cluster 91c25e0d33aa0001, not to saturn's cluster 7f3a0b1ec0de0002";
    await waitFor('all four refusal lines', () =>
      j.logger.matching(/^refusing saturn/).length > 0 && s.logger.matching(/^peer jupiter refused us/).length > 0
      && s.logger.matching(/^refusing jupiter/).length > 0 && j.logger.matching(/^peer saturn refused us/).length > 0);
    // Each member dialled the other, so each refused once and was refused once.
    assert.match(j.logger.matching(/^refusing saturn/)[0]!.message, new RegExp(`^refusing saturn \\(127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:\\d+\\): ${saturnAbroad}$`));
    assert.equal(s.logger.matching(/^peer jupiter refused us/)[0]!.message, `peer jupiter refused us: ${saturnAbroad}`);
    assert.match(s.logger.matching(/^refusing jupiter/)[0]!.message, new RegExp(`: ${jupiterAbroad}$`));
    assert.equal(j.logger.matching(/^peer saturn refused us/)[0]!.message, `peer saturn refused us: ${jupiterAbroad}`);
    assert.equal(j.logger.matching(/^refusing saturn/)[0]!.level, 'warn');

    j.transport.send(saturn, { city: 'boston', count: 1 });
    await sleep(1_000);
    assert.equal(s.received.length, 0);
    assert.equal(peerStats(j, saturn).connected, false);
    assert.equal(peerStats(j, saturn).dropped.disconnected, 1);
    // A refused member waits refusedRetryMs (5 s by default) before it dials again.
    assert.equal(j.logger.matching(/^refusing saturn/).length, 1);
    assert.equal(j.logger.matching(/^peer saturn refused us/).length, 1);
    assert.equal(peerStats(j, saturn).dials, 1);
    assert.equal(peerStats(j, saturn).refusedByUs, 1);
    assert.equal(peerStats(j, saturn).refusedByPeer, 1);
  } finally {
    j.transport.close();
    s.transport.close();
  }
});

test('neptune, removed from the cluster, is told so on its open channels and refused when it calls back', async () => {
  const members = await startCluster([jupiter, saturn, neptune], { limits: { refusedRetryMs: 300 } });
  const [j, s, n] = members as [Member, Member, Member];
  try {
    await allConnected(members);
    j.transport.removePeer(neptune);
    s.transport.removePeer(neptune);
    const removed = 'neptune was removed from cluster 91c25e0d33aa0001';
    await waitFor('neptune to hear it was removed', () => n.logger.matching(/refused us/).length >= 2);
    assert.deepEqual(n.logger.matching(/refused us/).slice(0, 2).map((l) => l.message).sort(), [`peer jupiter refused us: ${removed}`, `peer saturn refused us: ${removed}`]);
    assert.ok(j.logger.matching(/^peer neptune removed: its channel is closed and it is refused from now on$/).length === 1);

    // Neptune does not know it was removed, so it calls back every 150-300 ms: each attempt is refused and logged.
    await waitFor('jupiter to refuse neptune calling back', () => j.logger.matching(/^refusing neptune/).length >= 1);
    assert.match(j.logger.matching(/^refusing neptune/)[0]!.message, new RegExp(`: ${removed}$`));
    n.transport.send(jupiter, { city: 'london', count: 7 });
    await sleep(1_500);
    const refusals = j.logger.matching(/^refusing neptune/).length;
    assert.ok(refusals >= 2 && refusals <= 12, `${refusals} refusals in about 1.5 s: a paced retry, not a tight loop`);
    assert.equal(j.received.filter((r) => r.from === neptune).length, 0);
    assert.equal(j.transport.statistics().peers.some((p) => p.peer === neptune), false);
    assert.ok((j.transport.statistics().inboundRefused['removed'] ?? 0) >= 2);

    j.transport.send(saturn, { city: 'pune', count: 8 });
    await waitFor('jupiter and saturn carry on', () => s.received.some((r) => r.message.count === 8));
  } finally {
    closeAll(members);
  }
});

test('neptune is refused as a stranger until jupiter adds it, then its channel opens', async () => {
  const j = await startMember(jupiter, { limits: { refusedRetryMs: 60_000 } });
  const n = await startMember(neptune, { peers: new Map([[jupiter, j.address]]), limits: { refusedRetryMs: 60_000 } });
  try {
    const stranger = 'neptune is not a member of cluster 91c25e0d33aa0001 as jupiter knows it';
    await waitFor('the refusal on both sides', () => j.logger.matching(/^refusing neptune/).length === 1 && n.logger.matching(/refused us/).length === 1);
    assert.match(j.logger.matching(/^refusing neptune/)[0]!.message, new RegExp(`: ${stranger}$`));
    assert.equal(n.logger.matching(/refused us/)[0]!.message, `peer jupiter refused us: ${stranger}`);

    // Neptune backs off for a minute, but jupiter dials as soon as it learns of neptune.
    j.transport.addPeer(neptune, n.address);
    await allConnected([j, n]);
    n.transport.send(jupiter, { city: 'london', count: 1 });
    await waitFor('the count from neptune', () => j.received.length === 1);
  } finally {
    j.transport.close();
    n.transport.close();
  }
});

test('jupiter dialling saturn at neptune\'s address is refused by neptune, and both logs name the mix-up', async () => {
  const n = await startMember(neptune);
  const j = await startMember(jupiter, { peers: new Map([[saturn, n.address]]) });
  try {
    n.transport.addPeer(jupiter, j.address);
    const mixUp = 'jupiter expected to reach saturn at this address but reached neptune';
    await waitFor('both log lines', () => n.logger.matching(/^refusing jupiter/).length > 0 && j.logger.matching(/^peer saturn refused us/).length > 0);
    assert.match(n.logger.matching(/^refusing jupiter/)[0]!.message, new RegExp(`: ${mixUp}$`));
    assert.equal(j.logger.matching(/^peer saturn refused us/)[0]!.message, `peer saturn refused us: ${mixUp}`);
  } finally {
    j.transport.close();
    n.transport.close();
  }
});
