// The channel's clockwork in manual time: when a silent link is declared
// dead, why a stalled process does not declare it, how a simultaneous dial
// settles, and how redials are paced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId } from '../../src/ids.js';
import { defaultPeerTransportLimits as limits } from '../../src/net/peer-limits.js';
import { PeerTransport } from '../../src/net/peer-transport.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { CapturingLogger, jupiter, ourCluster, saturn, widgetCodec, type WidgetCount } from './cast.js';
import { MemoryWorld } from './memory-world.js';

interface Pair {
  readonly world: MemoryWorld;
  readonly j: PeerTransport<WidgetCount>;
  readonly s: PeerTransport<WidgetCount>;
  readonly jLog: CapturingLogger;
  readonly received: WidgetCount[];
}

async function pair(options: { startSaturn?: boolean } = {}): Promise<Pair> {
  const world = new MemoryWorld();
  const network = world.network();
  const make = (self: NodeId, port: number, peer: NodeId, peerPort: number, logger: CapturingLogger) => new PeerTransport<WidgetCount>({
    self, clusterId: ourCluster, listen: { host: '127.0.0.1', port }, peers: new Map([[peer, { host: '127.0.0.1', port: peerPort }]]),
    codec: widgetCodec, network, clock: world, timers: world, random: new SeededRandom(port), logger,
  });
  const jLog = new CapturingLogger();
  const j = make(jupiter, 7001, saturn, 7002, jLog);
  const s = make(saturn, 7002, jupiter, 7001, new CapturingLogger());
  const received: WidgetCount[] = [];
  s.onReceive((_, message) => received.push(message));
  // Both listen before either dials, so their hellos cross: a simultaneous open.
  await Promise.all([j.start(), options.startSaturn === false ? Promise.resolve() : s.start()]);
  return { world, j, s, jLog, received };
}

const stats = (transport: PeerTransport<WidgetCount>, peer: NodeId) => transport.statistics().peers.find((p) => p.peer === peer)!;

test('jupiter and saturn dial each other at once and both keep the one connection jupiter dialled', async () => {
  const { world, j, s } = await pair();
  world.advance(50);
  assert.equal(world.dialTimes.length, 2, 'both dialled');
  assert.equal(world.openConnections().length, 1, 'one connection survives');
  assert.equal(stats(j, saturn).dialledBy, jupiter);
  assert.equal(stats(s, jupiter).dialledBy, jupiter);
  assert.equal(stats(j, saturn).connection, world.openConnections()[0]!.label);
  assert.deepEqual(j.statistics().inboundRefused, { duplicate: 1 });
  world.advance(10_000);
  assert.equal(world.openConnections().length, 1, 'and it stays the only one');
  assert.equal(stats(j, saturn).channelsOpened, 1);
});

test('a link that goes silent is closed after deadAfterMs, not before, and not long after', async () => {
  const { world, j, jLog } = await pair();
  world.advance(50);
  assert.equal(stats(j, saturn).connected, true);
  world.partition();
  const partitionedAtMs = world.nowMs;
  world.advance(limits.deadAfterMs - 50);
  assert.equal(stats(j, saturn).connected, true, 'still within deadAfterMs');
  world.advance(limits.heartbeatIntervalMs + 100);
  assert.equal(stats(j, saturn).connected, false);
  const lost = jLog.matching(/^channel to saturn lost/);
  assert.equal(lost.length, 1);
  const silentMs = Number(/heard nothing for (\d+) ms/.exec(lost[0]!.message)![1]);
  assert.ok(silentMs > limits.deadAfterMs && silentMs <= limits.deadAfterMs + limits.heartbeatIntervalMs + 50, `declared dead after ${silentMs} ms`);
  assert.ok(world.nowMs - partitionedAtMs <= limits.deadAfterMs + 2 * limits.heartbeatIntervalMs);
});

test('after the partition heals, the channel is back within a second in manual time too', async () => {
  const { world, j, s, received } = await pair();
  world.advance(50);
  world.partition();
  world.advance(4_000);
  world.heal();
  const healedAtMs = world.nowMs;
  while (!stats(j, saturn).connected || !stats(s, jupiter).connected) world.advance(1);
  assert.ok(world.nowMs - healedAtMs < 1_000, `open again ${world.nowMs - healedAtMs} ms after heal`);
  j.send(saturn, { city: 'boston', count: 1 });
  world.advance(1);
  assert.deepEqual(received, [{ city: 'boston', count: 1 }]);
});

test('a stall of the whole process longer than deadAfterMs does not kill a healthy channel', async () => {
  const { world, j, jLog } = await pair();
  world.advance(1_000);
  world.stall(2_000);
  world.advance(1_000);
  assert.equal(jLog.matching(/^channel to saturn lost/).length, 0);
  assert.equal(stats(j, saturn).channelsOpened, 1);
  assert.equal(stats(j, saturn).connected, true);
});

test('jupiter redials a saturn that is down at growing intervals, never longer than reconnectMaxMs', async () => {
  const { world, j } = await pair({ startSaturn: false });
  world.advance(10_000);
  const gaps = world.dialTimes.slice(1).map((dial, i) => dial.atMs - world.dialTimes[i]!.atMs);
  assert.ok(gaps.length >= 10_000 / limits.reconnectMaxMs && gaps.length <= 2 * 10_000 / limits.reconnectMaxMs + 10, `${gaps.length} redials in 10 s`);
  assert.ok(gaps.every((gap) => gap >= limits.reconnectMinMs / 2 && gap <= limits.reconnectMaxMs), `gaps ${gaps.slice(0, 8).join(', ')}…`);
  assert.ok(gaps[0]! < limits.reconnectMinMs + 1 && gaps.slice(-5).every((gap) => gap >= limits.reconnectMaxMs / 2), 'doubling up to the cap');
  assert.equal(stats(j, saturn).dials, world.dialTimes.length);
});

test('saturn restarts after a crash that left jupiter\'s end open, and jupiter takes its new connection before the old one times out', async () => {
  const { world, j, s, jLog } = await pair();
  world.advance(1_000);
  assert.equal(stats(j, saturn).dialledBy, jupiter);
  // A crash sends no FIN: jupiter's end of the old connection stays open, silent.
  world.partition();
  s.close();
  world.heal();
  const crashedAtMs = world.nowMs;
  const restarted = new PeerTransport<WidgetCount>({
    self: saturn, clusterId: ourCluster, listen: { host: '127.0.0.1', port: 7002 }, peers: new Map([[jupiter, { host: '127.0.0.1', port: 7001 }]]),
    codec: widgetCodec, network: world.network(), clock: world, timers: world, random: new SeededRandom(99), logger: new CapturingLogger(),
  });
  await restarted.start();
  while (stats(j, saturn).channelsOpened < 2) world.advance(1);
  assert.ok(world.nowMs - crashedAtMs < limits.deadAfterMs, `reopened ${world.nowMs - crashedAtMs} ms after the crash`);
  assert.equal(jLog.matching(/^saturn dialled a new connection: it replaces/).length, 1);
  assert.equal(stats(restarted, jupiter).connected, true);
});
