import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { BlackholeProxy } from './blackhole-proxy.js';
import { allConnected, jupiter, peerStats, saturn, sleep, startMember, waitFor } from './cast.js';

const PARTITION_MS = 4_000;
/** The promise: traffic flows again within a second of the heal, where TCP alone would take several. */
const HEAL_DEADLINE_MS = 1_000;

test('after a 4-second blackhole between jupiter and saturn heals, a count gets through within a second', async () => {
  const j = await startMember(jupiter);
  const s = await startMember(saturn);
  // Each member reaches the other only through a proxy, so the partition cuts the link in both directions.
  const toSaturn = await BlackholeProxy.start(s.address);
  const toJupiter = await BlackholeProxy.start(j.address);
  try {
    j.transport.addPeer(saturn, toSaturn.address);
    s.transport.addPeer(jupiter, toJupiter.address);
    await allConnected([j, s]);
    j.transport.send(saturn, { city: 'boston', count: 0 });
    await waitFor('the count before the partition', () => s.received.length === 1);

    toSaturn.blackhole();
    toJupiter.blackhole();
    const partitionEnds = performance.now() + PARTITION_MS;
    let count = 1;
    while (performance.now() < partitionEnds) {
      j.transport.send(saturn, { city: 'boston', count: count++ });
      await sleep(20);
    }
    assert.equal(s.received.length, 1, 'nothing crosses the blackhole');
    assert.equal(peerStats(j, saturn).connected, false, 'jupiter found the silent channel dead');
    assert.ok(j.logger.matching(/^channel to saturn lost .*heard nothing for \d+ ms/).length >= 1);
    const acceptedBeforeHeal = toSaturn.accepted + toJupiter.accepted;

    toSaturn.heal();
    toJupiter.heal();
    const healedAtMs = performance.now();
    const firstAfterHeal = count;
    // Raft sends something at least every heartbeat; model that with a count every 10 ms.
    let deliveredAtMs: number | null = null;
    while (deliveredAtMs === null && performance.now() - healedAtMs < 5_000) {
      j.transport.send(saturn, { city: 'boston', count: count++ });
      await sleep(10);
      if (s.received.length > 1) deliveredAtMs = performance.now();
    }
    assert.ok(deliveredAtMs !== null, 'a count got through after heal');
    const recoveryMs = deliveredAtMs - healedAtMs;
    assert.ok(recoveryMs < HEAL_DEADLINE_MS, `traffic flowed again ${recoveryMs.toFixed(0)} ms after heal`);
    assert.ok(s.received[1]!.message.count >= firstAfterHeal, 'the count that arrived was sent after heal');
    assert.ok(toSaturn.accepted + toJupiter.accepted > acceptedBeforeHeal, 'over a new connection: the stalled ones never recover');
    assert.equal(peerStats(j, saturn).connected, true);
  } finally {
    j.transport.close();
    s.transport.close();
    toSaturn.close();
    toJupiter.close();
  }
});
