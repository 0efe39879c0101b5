// The event queue decides the order of everything, so its order must be a
// pure function of what was scheduled: earliest first, ties in scheduling order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventQueue } from '../../src/sim/event-queue.js';
import { InvariantViolation } from '../../src/assert.js';

test('events due at the same instant run in the order they were scheduled', () => {
  const queue = new EventQueue();
  const order: string[] = [];
  for (const name of ['boston', 'philadelphia', 'london', 'pune']) queue.push(5, () => order.push(name));
  queue.push(1, () => order.push('first'));
  for (let event = queue.pop(); event !== undefined; event = queue.pop()) event.action();
  assert.deepEqual(order, ['first', 'boston', 'philadelphia', 'london', 'pune']);
});

test('any schedule comes out sorted by time, then by scheduling order', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
      const queue = new EventQueue();
      times.forEach((time) => queue.push(time, () => {}));
      const popped: Array<[number, number]> = [];
      for (let event = queue.pop(); event !== undefined; event = queue.pop()) popped.push([event.atMs, event.seq]);
      const expected = times.map((time, seq): [number, number] => [time, seq]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      assert.deepEqual(popped, expected);
    }),
  );
});

test('a runaway schedule fails at maxQueuedEvents instead of exhausting memory', () => {
  const queue = new EventQueue({ maxQueuedEvents: 3 });
  for (let i = 0; i < 3; i++) queue.push(i, () => {});
  assert.throws(() => queue.push(4, () => {}), InvariantViolation);
  assert.equal(queue.size, 3);
});

test('an event cannot be scheduled at a time that is not a number', () => {
  const queue = new EventQueue();
  assert.throws(() => queue.push(NaN, () => {}), InvariantViolation);
  assert.throws(() => queue.push(Infinity, () => {}), InvariantViolation);
});
