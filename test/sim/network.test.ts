// Each network fault the simulator offers, injected alone and observed
// exactly: when messages arrive, which are lost, doubled, overtaken, held,
// and which links a partition cuts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { World } from '../../src/sim/world.js';
import { addRecorders, received, recorder, send } from './recorder.js';

const cast = ['jupiter', 'saturn', 'neptune'];

async function world3(options: { seed?: number; fifo?: boolean; links?: ConstructorParameters<typeof World>[0]['links']; maxInflightMessagesPerLink?: number } = {}) {
  const world = new World({ seed: options.seed ?? 1, links: options.links, maxInflightMessagesPerLink: options.maxInflightMessagesPerLink });
  const network = world.network<number>('widgets', { fifo: options.fifo });
  addRecorders(world, network, cast);
  await world.runFor(0);
  return { world, network };
}

test('a message arrives after exactly the configured latency', async () => {
  const { world } = await world3();
  world.configureLink('jupiter', 'saturn', { minLatencyMs: 7, maxLatencyMs: 7 });
  await world.runFor(100);
  send(world, 'jupiter', 'saturn', 1);
  await world.runFor(50);
  assert.deepEqual(recorder<number>(world, 'saturn').received.map((a) => [a.from, a.message, a.atMs]), [['jupiter', 1, 107]]);
  assert.deepEqual(received(world, 'neptune'), []);
});

test('latency stays within its range, and the long tail adds at most tailLatencyMs', async () => {
  const { world } = await world3({ links: { minLatencyMs: 2, maxLatencyMs: 4, tailProbability: 0.1, tailLatencyMs: 100 } });
  for (let i = 0; i < 500; i++) send(world, 'jupiter', 'saturn', i);
  await world.runFor(1_000);
  const delays = recorder<number>(world, 'saturn').received.map((a) => a.atMs);
  assert.equal(delays.length, 500);
  assert.ok(delays.every((d) => d >= 2 && d <= 104), 'every delay within [min, max + tail]');
  const slow = delays.filter((d) => d > 4).length;
  assert.ok(slow > 0 && slow < 100, `about a tenth in the tail, got ${slow}/500`);
});

test('a lossy link loses about its loss probability, and a dead one loses everything', async () => {
  const { world, network } = await world3();
  world.configureLink('jupiter', 'saturn', { lossProbability: 0.3 });
  world.configureLink('jupiter', 'neptune', { lossProbability: 1 });
  for (let i = 0; i < 2_000; i++) {
    send(world, 'jupiter', 'saturn', i);
    send(world, 'jupiter', 'neptune', i);
  }
  await world.runFor(100);
  assert.equal(received(world, 'neptune').length, 0);
  const arrived = received(world, 'saturn').length;
  assert.ok(arrived > 1_300 && arrived < 1_500, `about 70% of 2000 arrive, got ${arrived}`);
  assert.equal(network.stats.dropped.lost, 4_000 - arrived);
});

test('duplication delivers the same message twice', async () => {
  const { world, network } = await world3();
  world.configureLink('jupiter', 'saturn', { duplicateProbability: 1 });
  send(world, 'jupiter', 'saturn', 10);
  send(world, 'saturn', 'jupiter', 20);
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), [10, 10]);
  assert.deepEqual(received(world, 'jupiter'), [20]);
  assert.equal(network.stats.duplicated, 1);
});

test('a FIFO network keeps send order despite jitter; reordering lets later messages overtake', async () => {
  const ordered = await world3({ fifo: true, links: { minLatencyMs: 1, maxLatencyMs: 20 } });
  for (let i = 0; i < 100; i++) send(ordered.world, 'jupiter', 'saturn', i);
  await ordered.world.runFor(1_000);
  assert.deepEqual(received(ordered.world, 'saturn'), [...Array(100).keys()]);

  const shuffled = await world3({ fifo: true, links: { minLatencyMs: 1, maxLatencyMs: 20, reorderProbability: 0.5, reorderDelayMs: 50 } });
  for (let i = 0; i < 100; i++) send(shuffled.world, 'jupiter', 'saturn', i);
  await shuffled.world.runFor(1_000);
  const arrived = received<number>(shuffled.world, 'saturn');
  assert.deepEqual([...arrived].sort((a, b) => a - b), [...Array(100).keys()], 'nothing lost or doubled');
  assert.notDeepEqual(arrived, [...Array(100).keys()], 'some messages overtaken');
});

test('a partition cuts both ways between the groups and nothing within them; heal restores it', async () => {
  const { world, network } = await world3();
  world.partition(['jupiter'], ['saturn', 'neptune']);
  send(world, 'jupiter', 'saturn', 1);
  send(world, 'neptune', 'jupiter', 2);
  send(world, 'saturn', 'neptune', 3);
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), []);
  assert.deepEqual(received(world, 'jupiter'), []);
  assert.deepEqual(received(world, 'neptune'), [3]);
  assert.equal(network.stats.dropped.partitioned, 2);
  world.heal();
  send(world, 'jupiter', 'saturn', 4);
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), [4]);
});

test('a message already in flight when the partition starts does not cross it', async () => {
  const { world } = await world3({ links: { minLatencyMs: 10, maxLatencyMs: 10 } });
  send(world, 'jupiter', 'saturn', 1);
  await world.runFor(5);
  world.partition(['jupiter'], ['saturn']);
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), []);
});

test('an asymmetric partition: jupiter cannot reach saturn but still hears from it', async () => {
  const { world } = await world3();
  world.blockLink('jupiter', 'saturn');
  send(world, 'jupiter', 'saturn', 1);
  send(world, 'saturn', 'jupiter', 2);
  send(world, 'jupiter', 'neptune', 3);
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), []);
  assert.deepEqual(received(world, 'jupiter'), [2]);
  assert.deepEqual(received(world, 'neptune'), [3]);
  world.unblockLink('jupiter', 'saturn');
  send(world, 'jupiter', 'saturn', 4);
  await world.runFor(100);
  assert.deepEqual(received(world, 'saturn'), [4]);
});

test('an isolated node neither sends nor receives; the others carry on', async () => {
  const { world } = await world3();
  world.isolate('neptune');
  send(world, 'neptune', 'jupiter', 1);
  send(world, 'saturn', 'neptune', 2);
  send(world, 'jupiter', 'saturn', 3);
  await world.runFor(100);
  assert.deepEqual(received(world, 'jupiter'), []);
  assert.deepEqual(received(world, 'neptune'), []);
  assert.deepEqual(received(world, 'saturn'), [3]);
});

test('a clogged link holds every message and releases them all, in order, after unclog', async () => {
  const { world, network } = await world3({ fifo: true, links: { minLatencyMs: 3, maxLatencyMs: 3 } });
  world.clog('jupiter', 'saturn');
  for (let i = 0; i < 5; i++) send(world, 'jupiter', 'saturn', i);
  send(world, 'saturn', 'jupiter', 99);
  await world.runFor(1_000);
  assert.deepEqual(received(world, 'saturn'), []);
  assert.deepEqual(received(world, 'jupiter'), [99], 'the other direction flows');
  world.unclog('jupiter', 'saturn');
  await world.runFor(100);
  assert.deepEqual(recorder<number>(world, 'saturn').received.map((a) => [a.message, a.atMs]), [0, 1, 2, 3, 4].map((i) => [i, 1_003]));
  assert.equal(Object.values(network.stats.dropped).reduce((a, b) => a + b, 0), 0, 'nothing lost');
});

test('heal also releases clogged links', async () => {
  const { world } = await world3();
  world.clog('saturn', 'neptune');
  send(world, 'saturn', 'neptune', 1);
  await world.runFor(100);
  world.heal();
  await world.runFor(100);
  assert.deepEqual(received(world, 'neptune'), [1]);
});

test('a link drops messages beyond its in-flight limit', async () => {
  const { world, network } = await world3({ maxInflightMessagesPerLink: 3 });
  for (let i = 0; i < 5; i++) send(world, 'jupiter', 'saturn', i);
  await world.runFor(100);
  assert.deepEqual(received<number>(world, 'saturn').sort(), [0, 1, 2], 'the first three were in flight; the rest found the link full');
  assert.equal(network.stats.dropped.overflow, 2);
});

test('a message to a node that does not exist is dropped', async () => {
  const { world, network } = await world3();
  send(world, 'jupiter', 'pluto', 1);
  await world.runFor(100);
  assert.equal(network.stats.dropped['unknown-node'], 1);
});

test('adding a node does not shift the latencies another link draws', async () => {
  const arrivals = async (names: readonly string[]): Promise<number[]> => {
    const world = new World({ seed: 9, links: { minLatencyMs: 1, maxLatencyMs: 50 } });
    const network = world.network<number>('widgets');
    addRecorders(world, network, names);
    await world.runFor(0);
    for (let i = 0; i < 20; i++) send(world, 'jupiter', 'saturn', i);
    await world.runFor(100);
    return recorder<number>(world, 'saturn').received.map((a) => a.atMs);
  };
  assert.deepEqual(await arrivals(['jupiter', 'saturn', 'neptune', 'pluto']), await arrivals(['jupiter', 'saturn']));
});

test('for any link quality, each message arrives at most twice and within its latency bounds', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 0, max: 1_000_000 }),
        minLatencyMs: fc.integer({ min: 0, max: 20 }),
        spreadMs: fc.integer({ min: 0, max: 20 }),
        tailProbability: fc.double({ min: 0, max: 1, noNaN: true }),
        tailLatencyMs: fc.integer({ min: 0, max: 100 }),
        lossProbability: fc.double({ min: 0, max: 1, noNaN: true }),
        duplicateProbability: fc.double({ min: 0, max: 1, noNaN: true }),
        reorderProbability: fc.double({ min: 0, max: 1, noNaN: true }),
        reorderDelayMs: fc.integer({ min: 0, max: 100 }),
      }),
      async ({ seed, spreadMs, ...config }) => {
        const { world, network } = await world3({ seed, links: { ...config, maxLatencyMs: config.minLatencyMs + spreadMs } });
        for (let i = 0; i < 50; i++) send(world, 'jupiter', 'saturn', i);
        await world.runFor(1_000);
        const arrivals = recorder<number>(world, 'saturn').received;
        const latestMs = config.minLatencyMs + spreadMs + config.tailLatencyMs + config.reorderDelayMs;
        assert.ok(arrivals.every((a) => a.atMs >= config.minLatencyMs && a.atMs <= latestMs));
        for (let i = 0; i < 50; i++) assert.ok(arrivals.filter((a) => a.message === i).length <= 2);
        assert.equal(arrivals.length, network.stats.delivered);
        assert.equal(network.stats.sent + network.stats.duplicated, network.stats.delivered + network.stats.dropped.lost);
      },
    ),
    { numRuns: 50 },
  );
});
