// The simulator's one promise: a seed is a run. Three nodes ping each other
// through disk writes, timers and a network, under every kind of fault the
// schedule can draw; the trace of one seed must come out byte for byte the
// same every time, and a different seed must tell a different story.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World } from '../../src/sim/world.js';
import { applyFault, applyFaultSchedule, generateFaultSchedule } from '../../src/sim/fault-schedule.js';
import { addPingCluster, type PingProcess } from './ping-workload.js';

const cast = ['jupiter', 'saturn', 'neptune'];

async function run(seed: number, traced: boolean): Promise<{ lines: string[]; digest: string; world: World }> {
  const world = new World({ seed, trace: { enabled: traced, maxLines: 1_000_000 }, links: { minLatencyMs: 1, maxLatencyMs: 10, lossProbability: 0.01 } });
  addPingCluster(world, cast);
  const plan = generateFaultSchedule({ random: world.forkRandom('faults'), nodes: cast, startMs: 200, endMs: 4_000, meanIntervalMs: 150 });
  applyFaultSchedule(world, plan);
  // One crash for certain, whatever the plan drew.
  world.at(1_000, 'power cut', () => applyFault(world, { kind: 'crash', node: 'saturn' }));
  world.at(1_500, 'power back', () => applyFault(world, { kind: 'restart', node: 'saturn' }));
  await world.runFor(5_000);
  return { lines: world.trace.lines(), digest: world.trace.digest(), world };
}

const tracedRun = (seed: number) => run(seed, true);

test('one seed replays byte for byte: pings, disk writes, timers and faults', async () => {
  const first = await tracedRun(42);
  const second = await tracedRun(42);
  assert.equal(second.lines.join('\n'), first.lines.join('\n'));
  assert.equal(second.digest, first.digest);
  // The workload and the faults really happened, or the comparison proves nothing.
  const kinds = new Set(first.lines.map((line) => line.trim().split(/\s+/)[2]));
  for (const kind of ['send', 'recv', 'drop', 'crash', 'boot', 'event', 'debug']) assert.ok(kinds.has(kind), `trace has no ${kind} lines`);
  const logged = cast.map((name) => first.world.process<PingProcess>(name)?.pingsLogged ?? 0);
  assert.ok(logged.some((count) => count > 0), 'some pings were logged durably and answered');
});

test('a different seed gives a different run', async () => {
  const a = await tracedRun(42);
  const b = await tracedRun(43);
  assert.notEqual(b.digest, a.digest);
  assert.notEqual(b.lines.join('\n'), a.lines.join('\n'));
});

test('tracing off runs the same events as tracing on', async () => {
  const traced = await tracedRun(7);
  const { world } = await run(7, false);
  assert.equal(world.trace.lineCount(), 0);
  assert.equal(world.driver.eventsExecuted(), traced.world.driver.eventsExecuted());
  for (const name of cast) {
    assert.deepEqual(world.process<PingProcess>(name), traced.world.process<PingProcess>(name));
    assert.deepEqual([...world.disk(name).durableFiles()], [...traced.world.disk(name).durableFiles()]);
  }
});

test('two worlds running at once in one process do not disturb each other', async () => {
  const alone = await tracedRun(42);
  const [together] = await Promise.all([tracedRun(42), tracedRun(43)]);
  assert.equal(together.digest, alone.digest);
  assert.equal(together.lines.join('\n'), alone.lines.join('\n'));
});

test('every one of twenty seeds replays to the same trace digest', async () => {
  for (let seed = 100; seed < 120; seed++) {
    const first = await tracedRun(seed);
    const second = await tracedRun(seed);
    assert.equal(second.digest, first.digest, `seed ${seed} diverged`);
    assert.equal(second.world.driver.eventsExecuted(), first.world.driver.eventsExecuted());
  }
});
