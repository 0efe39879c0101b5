// The real Clock and Timers: what protocol code is promised (monotonic time
// never goes back; a timer fires once, after its delay, unless cancelled),
// checked on the system clock without asserting how fast this machine is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SystemClock, SystemTimers } from '../../src/runtime/node/system-clock.js';

test('the system clock gives wall time since the epoch and monotonic time that never goes back', () => {
  const clock = new SystemClock();
  const before = Date.now();
  const wall = clock.wallNowMs();
  assert.ok(wall >= before && wall <= Date.now());
  let previous = clock.monotonicNowMs();
  for (let i = 0; i < 10_000; i++) {
    const now = clock.monotonicNowMs();
    assert.ok(now >= previous, `monotonic time went back from ${previous} to ${now}`);
    previous = now;
  }
});

test('system timers fire once each, in delay order, not before their delay on the monotonic clock; a cancelled one never fires', async () => {
  const clock = new SystemClock();
  const timers = new SystemTimers();
  const fired: { name: string; elapsedMs: number }[] = [];
  const started = clock.monotonicNowMs();
  const done = new Promise<void>((resolve) => {
    timers.schedule(30, () => {
      fired.push({ name: 'boston', elapsedMs: clock.monotonicNowMs() - started });
      resolve();
    });
  });
  timers.schedule(5, () => fired.push({ name: 'pune', elapsedMs: clock.monotonicNowMs() - started }));
  const cancelled = timers.schedule(10, () => fired.push({ name: 'london', elapsedMs: clock.monotonicNowMs() - started }));
  timers.cancel(cancelled);
  timers.cancel(cancelled);
  await done;
  assert.deepEqual(fired.map((f) => f.name), ['pune', 'boston']);
  // Node may round a delay down by up to a millisecond; it never fires much early.
  assert.ok(fired[0]!.elapsedMs >= 4 && fired[1]!.elapsedMs >= 29, JSON.stringify(fired));
  const afterFiring = timers.schedule(1, () => assert.fail('cancelled'));
  timers.cancel(afterFiring);
});
