// The driver runs one event at a time in virtual time, and lets each event's
// promise work finish before the next one starts, as a real event loop would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDriver } from '../../src/sim/driver.js';
import { InvariantViolation } from '../../src/assert.js';
import { World } from '../../src/sim/world.js';

test("an event's promise chain finishes before the next event, even one due at the same instant", async () => {
  const driver = new SimDriver();
  const seen: string[] = [];
  driver.at(10, () => {
    void (async () => {
      for (let i = 0; i < 100; i++) await Promise.resolve(i);
      seen.push('chain done');
    })();
  });
  driver.at(10, () => seen.push('next event'));
  await driver.runFor(20);
  assert.deepEqual(seen, ['chain done', 'next event']);
});

test("another driver's promise work in the same process cannot cut this driver's wait short", async () => {
  const jupiter = new SimDriver();
  const saturn = new SimDriver();
  const seen: string[] = [];
  jupiter.at(10, () => {
    void (async () => {
      for (let i = 0; i < 200; i++) await Promise.resolve(i);
      seen.push('chain done');
    })();
  });
  jupiter.at(10, () => seen.push('next event'));
  for (let t = 0; t < 100; t++) {
    saturn.at(t / 10, () => {
      void Promise.resolve().then(() => Promise.resolve());
    });
  }
  await Promise.all([saturn.runFor(20), jupiter.runFor(20)]);
  assert.deepEqual(seen, ['chain done', 'next event']);
});

test('promise work that continues through plain queueMicrotask calls also finishes before the next event', async () => {
  const driver = new SimDriver();
  const seen: string[] = [];
  driver.at(10, () => {
    void (async () => {
      await Promise.resolve();
      let remaining = 50;
      const next = (): void => {
        if (--remaining > 0) queueMicrotask(next);
        else seen.push('chain done');
      };
      queueMicrotask(next);
    })();
  });
  driver.at(10, () => seen.push('next event'));
  await driver.runFor(20);
  assert.deepEqual(seen, ['chain done', 'next event']);
});

test('a promise resolved by one event resumes its waiter before the next event', async () => {
  const driver = new SimDriver();
  const seen: string[] = [];
  let release: () => void = () => {};
  void new Promise<void>((resolve) => (release = resolve)).then(() => seen.push('waiter resumed'));
  await driver.runFor(0);
  driver.at(5, () => release());
  driver.at(5, () => seen.push('next event'));
  await driver.runFor(10);
  assert.deepEqual(seen, ['waiter resumed', 'next event']);
});

test('pure synchronous events run back to back without waiting on the event loop', async () => {
  const driver = new SimDriver();
  let ticks = 0;
  const tick = (): void => {
    ticks++;
    driver.after(1, tick);
  };
  driver.after(1, tick);
  await driver.runFor(1_000);
  assert.equal(ticks, 1_000);
  assert.equal(driver.settleCount(), 0);
  assert.equal(driver.nowMs(), 1_000);
});

test('runUntil stops the moment its predicate holds, and reports false at its limit', async () => {
  const driver = new SimDriver();
  let count = 0;
  for (let t = 1; t <= 10; t++) driver.at(t * 10, () => count++);
  assert.equal(await driver.runUntil(() => count === 3, { limitMs: 1_000 }), true);
  assert.equal(driver.nowMs(), 30);
  assert.equal(await driver.runUntil(() => count === 99, { limitMs: 500 }), false);
  assert.equal(count, 10);
  assert.equal(driver.nowMs(), 530);
});

test('step runs exactly one event and says when none is left', async () => {
  const driver = new SimDriver();
  const seen: number[] = [];
  driver.at(3, () => seen.push(3));
  driver.at(1, () => seen.push(1));
  assert.equal(await driver.step(), true);
  assert.deepEqual(seen, [1]);
  assert.equal(driver.nowMs(), 1);
  assert.equal(await driver.step(), true);
  assert.equal(await driver.step(), false);
  assert.deepEqual(seen, [1, 3]);
});

test('a cancelled event never runs', async () => {
  const driver = new SimDriver();
  let ran = false;
  const event = driver.at(5, () => (ran = true));
  event.cancelled = true;
  await driver.runFor(10);
  assert.equal(ran, false);
  assert.equal(driver.eventsExecuted(), 0);
});

test('an invariant broken inside an async timer callback fails the run with that error', async () => {
  const world = new World({ seed: 1 });
  world.addNode('jupiter', {
    boot(env) {
      env.timers.schedule(100, async () => {
        await Promise.resolve();
        throw new InvariantViolation('commit index moved back');
      });
      return {};
    },
  });
  await assert.rejects(world.runFor(1_000), (error: unknown) => error instanceof InvariantViolation && error.message === 'commit index moved back');
  assert.equal(world.nowMs(), 100);
});

test('an event cannot be scheduled in the past, and runs cannot overlap', async () => {
  const driver = new SimDriver();
  await driver.runFor(10);
  assert.throws(() => driver.at(5, () => {}), InvariantViolation);
  const first = driver.runFor(10);
  await assert.rejects(driver.runFor(10), InvariantViolation);
  await first;
});
