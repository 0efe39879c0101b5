import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/runtime/random.js';

test('one seed gives one sequence, another seed another', () => {
  const draw = (seed: number) => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 8 }, () => random.nextUint32());
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
});

test('nextInt stays in its range and covers it', () => {
  const random = new SeededRandom(7);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const value = random.nextInt(3, 9);
    assert.ok(value >= 3 && value < 9);
    seen.add(value);
  }
  assert.equal(seen.size, 6);
  assert.throws(() => random.nextInt(5, 5), RangeError);
});

test('floats are roughly uniform', () => {
  const random = new SeededRandom(1);
  let below = 0;
  for (let i = 0; i < 100_000; i++) if (random.nextFloat() < 0.25) below++;
  assert.ok(Math.abs(below / 100_000 - 0.25) < 0.01, `fraction below 0.25 was ${below / 100_000}`);
});

test('forks are independent of each other and deterministic', () => {
  const a = new SeededRandom(9);
  const b = new SeededRandom(9);
  const forkA = a.fork();
  const forkB = b.fork();
  assert.equal(forkA.nextUint32(), forkB.nextUint32());
  assert.notEqual(a.nextUint32(), forkA.nextUint32());
});
