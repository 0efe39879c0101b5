// The fault schedule is a seeded plan: the same seed gives the same plan, a
// minority at most is down at once unless a test asks for more, the kinds
// can be chosen, and every fault has ended by the end of the window.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../../src/runtime/random.js';
import { applyFault, applyFaultSchedule, generateFaultSchedule, type ScheduledFault } from '../../src/sim/fault-schedule.js';
import { World } from '../../src/sim/world.js';

const five = ['jupiter', 'saturn', 'neptune', 'mercury', 'venus'];

function plan(seed: number, extra: Partial<Parameters<typeof generateFaultSchedule>[0]> = {}): ScheduledFault[] {
  return generateFaultSchedule({ random: new SeededRandom(seed), nodes: five, startMs: 0, endMs: 60_000, meanIntervalMs: 200, ...extra });
}

/** The most nodes crashed or paused at any instant of the plan. */
function maxDown(faults: readonly ScheduledFault[]): number {
  const down = new Set<string>();
  let most = 0;
  for (const { action } of faults) {
    if (action.kind === 'crash' || action.kind === 'pause') down.add(action.node);
    if (action.kind === 'restart' || action.kind === 'resume') down.delete(action.node);
    most = Math.max(most, down.size);
  }
  return most;
}

test('one seed gives one plan, sorted by time, and another seed another plan', () => {
  assert.deepEqual(plan(5), plan(5));
  assert.notDeepEqual(plan(5), plan(6));
  const times = plan(5).map((fault) => fault.atMs);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  const drawn = new Set(plan(5).map((fault) => fault.action.kind));
  for (const kind of ['crash', 'pause', 'partition', 'isolate', 'clog', 'burst', 'clock-jump', 'clock-drift', 'disk-fault', 'disk-full', 'disk-stall']) assert.ok(drawn.has(kind as never), `no ${kind} in the plan`);
});

test('at most a minority of five is ever down at once, for any seed', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
      assert.ok(maxDown(plan(seed, { faults: ['crash', 'pause'] })) <= 2);
    }),
    { numRuns: 50 },
  );
});

test('allowMajorityDown lets crashes take down a majority', () => {
  const seeds = [1, 2, 3, 4, 5];
  assert.ok(seeds.some((seed) => maxDown(plan(seed, { faults: ['crash', 'pause'], allowMajorityDown: true, maxDurationMs: 10_000 })) >= 3));
});

test('the faults option selects the kinds drawn', () => {
  const kinds = new Set(plan(8, { faults: ['crash', 'clock-jump'] }).map((fault) => fault.action.kind));
  assert.deepEqual([...kinds].sort(), ['clock-jump', 'crash', 'restart']);
});

test('applied to a world, every fault has ended by the end of the window', async () => {
  const world = new World({ seed: 13 });
  for (const name of five) world.addNode(name, { boot: (env) => env });
  const faults = generateFaultSchedule({ random: world.forkRandom('faults'), nodes: five, startMs: 0, endMs: 10_000, meanIntervalMs: 100 });
  applyFaultSchedule(world, faults);
  let sawDown = false;
  let sawPartition = false;
  for (let t = 50; t < 10_000; t += 50) {
    world.at(t, 'inspect', () => {
      sawDown ||= five.some((name) => world.status(name) !== 'running');
      sawPartition ||= five.some((a) => five.some((b) => a !== b && !world.isReachable(a, b)));
    });
  }
  await world.runFor(10_000);
  assert.ok(sawDown && sawPartition, 'the plan did take nodes down and cut links');
  for (const a of five) {
    assert.equal(world.status(a), 'running', `${a} is back`);
    assert.equal(world.clock(a).driftPpm(), 0, `${a} drifts no more`);
    assert.equal(world.isDiskStalled(a), false, `${a}'s disk answers`);
    for (const b of five) assert.ok(world.isReachable(a, b), `${a} -> ${b} is whole`);
  }
});

test('a full disk refuses to grow the WAL with ENOSPC until space is freed', async () => {
  const world = new World({ seed: 14 });
  const outcomes: string[] = [];
  world.addNode('philadelphia', {
    async boot(env) {
      const wal = await env.disk.open('wal', { create: true });
      const append = (): void => {
        wal.append(new TextEncoder().encode('philadelphia=3;')).then(
          () => outcomes.push(`ok at ${world.nowMs()}`),
          (error: { code?: string }) => outcomes.push(`${error.code} at ${world.nowMs()}`),
        );
      };
      env.timers.schedule(100, append);
      env.timers.schedule(300, append);
      env.timers.schedule(500, append);
      return env;
    },
  });
  world.at(200, 'disk full', () => applyFault(world, { kind: 'disk-full', node: 'philadelphia' }));
  world.at(400, 'space freed', () => applyFault(world, { kind: 'disk-space-freed', node: 'philadelphia' }));
  await world.runFor(1_000);
  assert.deepEqual(outcomes.map((outcome) => outcome.split(' ')[0]), ['ok', 'ENOSPC', 'ok']);
});
