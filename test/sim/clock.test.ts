// Clocks the way real machines have them: set wrong (offset), running at the
// wrong rate (drift) and stepped by NTP (jumps), with monotonic time that
// never goes back; and timers measured on the node's own monotonic clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEpochMs, World, type SimNodeEnvironment } from '../../src/sim/world.js';
import type { TimerHandle } from '../../src/runtime/timers.js';

function idleWorld(names: readonly string[], seed = 1): World {
  const world = new World({ seed });
  for (const name of names) world.addNode(name, { boot: (env) => env });
  return world;
}

test('with no offset or drift every node reads the same time, a machine added later included', async () => {
  const world = idleWorld(['jupiter', 'saturn']);
  await world.runFor(1_234);
  world.addNode('neptune', { boot: (env) => env });
  await world.runFor(1_000);
  for (const name of ['jupiter', 'saturn', 'neptune']) {
    assert.equal(world.clock(name).wallNowMs(), defaultEpochMs + 2_234);
    assert.equal(world.clock(name).monotonicNowMs(), 2_234);
  }
});

test("an offset moves saturn's wall clock and leaves its monotonic clock alone", async () => {
  const world = idleWorld(['jupiter', 'saturn']);
  world.setClockOffsetMs('saturn', -250);
  await world.runFor(1_000);
  assert.equal(world.clock('saturn').wallNowMs(), world.clock('jupiter').wallNowMs() - 250);
  assert.equal(world.clock('saturn').monotonicNowMs(), world.clock('jupiter').monotonicNowMs());
});

test('a drifting clock gains exactly its parts per million, and a drift change never steps it', async () => {
  const world = idleWorld(['jupiter']);
  world.setClockDriftPpm('jupiter', 200);
  await world.runFor(10_000);
  assert.equal(world.clock('jupiter').monotonicNowMs(), 10_000 * (1 + 200 / 1e6));
  const before = world.clock('jupiter').monotonicNowMs();
  world.setClockDriftPpm('jupiter', -300);
  assert.equal(world.clock('jupiter').monotonicNowMs(), before);
  await world.runFor(10_000);
  assert.ok(Math.abs(world.clock('jupiter').monotonicNowMs() - (before + 10_000 * (1 - 300 / 1e6))) < 1e-9);
});

test('when the wall clock jumps back, monotonic time still only moves forward', async () => {
  const world = idleWorld(['neptune']);
  const wall: number[] = [];
  const monotonic: number[] = [];
  for (let t = 100; t <= 1_000; t += 100) {
    world.at(t, 'sample', () => {
      wall.push(world.clock('neptune').wallNowMs());
      monotonic.push(world.clock('neptune').monotonicNowMs());
    });
  }
  world.at(450, 'ntp step', () => world.jumpWallClock('neptune', -10_000));
  world.at(750, 'ntp step', () => world.jumpWallClock('neptune', 3_000));
  await world.runFor(1_000);
  assert.equal(wall[4]! - wall[3]!, 100 - 10_000);
  assert.equal(wall[7]! - wall[6]!, 100 + 3_000);
  for (let i = 1; i < monotonic.length; i++) assert.equal(monotonic[i]! - monotonic[i - 1]!, 100);
});

test("a timer fires when the node's own monotonic clock has advanced by its delay", async () => {
  const world = new World({ seed: 1 });
  const fired: Array<{ virtualMs: number; monotonicMs: number }> = [];
  world.addNode('jupiter', {
    clock: { driftPpm: 100_000 }, // 10% fast: a 1000 ms election timeout passes in about 909 virtual ms
    boot(env) {
      const start = env.clock.monotonicNowMs();
      env.timers.schedule(1_000, () => fired.push({ virtualMs: world.nowMs(), monotonicMs: env.clock.monotonicNowMs() - start }));
      return env;
    },
  });
  await world.runFor(2_000);
  assert.equal(fired.length, 1);
  assert.ok(Math.abs(fired[0]!.virtualMs - 1_000 / 1.1) < 1e-9);
  assert.ok(Math.abs(fired[0]!.monotonicMs - 1_000) < 1e-9);
});

test('a cancelled timer never fires, and cancelling twice or after firing does nothing', async () => {
  const world = idleWorld(['saturn']);
  await world.runFor(0);
  const env = world.process<SimNodeEnvironment>('saturn')!;
  const fired: string[] = [];
  const election = env.timers.schedule(100, () => fired.push('election'));
  const heartbeat = env.timers.schedule(50, () => fired.push('heartbeat'));
  env.timers.cancel(election);
  env.timers.cancel(election);
  await world.runFor(200);
  env.timers.cancel(heartbeat);
  assert.deepEqual(fired, ['heartbeat']);
});

test("a crashed node's timers never fire, in this life or the next", async () => {
  const world = new World({ seed: 3 });
  const fired: Array<{ incarnation: number; atMs: number }> = [];
  world.addNode('jupiter', {
    boot(env) {
      env.timers.schedule(100, () => fired.push({ incarnation: env.incarnation, atMs: world.nowMs() }));
      return env;
    },
  });
  await world.runFor(50);
  world.crash('jupiter');
  await world.runFor(100);
  assert.deepEqual(fired, []);
  world.restart('jupiter');
  await world.runFor(500);
  assert.deepEqual(fired, [{ incarnation: 2, atMs: 250 }]);
});

test("a paused node's timers fire late, when it resumes, in their order", async () => {
  const world = idleWorld(['neptune']);
  await world.runFor(0);
  const env = world.process<SimNodeEnvironment>('neptune')!;
  const fired: Array<[string, number]> = [];
  const handles: TimerHandle[] = [];
  for (const [name, delayMs] of [['heartbeat', 30], ['election', 60], ['lease', 90]] as const) {
    handles.push(env.timers.schedule(delayMs, () => fired.push([name, world.nowMs()])));
  }
  world.at(10, 'SIGSTOP', () => world.pause('neptune'));
  world.at(500, 'SIGCONT', () => world.resume('neptune'));
  await world.runFor(400);
  assert.deepEqual(fired, []);
  env.timers.cancel(handles[2]!); // cancelled while paused: it must not fire on resume
  await world.runFor(200);
  assert.deepEqual(fired, [['heartbeat', 500], ['election', 500]]);
});
