// The log's clock as proposers stamp it: it runs on the member's monotonic
// clock from the newest timestamp applied, never from the wall clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogClock } from '../../src/server/log-clock.js';

function fakeMonotonic(startMs: number): { clock: { monotonicNowMs(): number }; advance(ms: number): void } {
  let nowMs = startMs;
  return { clock: { monotonicNowMs: () => nowMs }, advance: (ms) => { nowMs += ms; } };
}

test('a fresh member stamps the applied log clock, then adds the monotonic time since', () => {
  const time = fakeMonotonic(5_000);
  const stamps = new LogClock(time.clock);
  assert.equal(stamps.stampMs(1_000_000), 1_000_000, 'behind the log: it follows the log');
  time.advance(250);
  assert.equal(stamps.stampMs(1_000_000), 1_000_250, 'a quarter second later, by its own monotonic clock');
  time.advance(250);
  assert.equal(stamps.stampMs(1_000_100), 1_000_500, 'an older applied value does not pull it back');
});

test('another member running ahead moves the stamps up to the log, never down', () => {
  const time = fakeMonotonic(0);
  const stamps = new LogClock(time.clock);
  stamps.stampMs(0);
  time.advance(100);
  assert.equal(stamps.stampMs(9_000), 9_000);
  time.advance(40);
  assert.equal(stamps.stampMs(9_000), 9_040);
});
