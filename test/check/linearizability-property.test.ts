import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkLinearizability,
  formatCheckResult,
  isPending,
  kvRegistersModel,
  randomLinearizableHistory,
  registerModel,
  type KvInput,
  type KvOutput,
  type Operation,
  type RegisterInput,
} from '../../src/check/index.js';
import { SeededRandom, type Random } from '../../src/runtime/random.js';

const cities = ['boston', 'philadelphia', 'london', 'pune'];

function nextKvInput(random: Random): KvInput {
  const key = cities[random.nextInt(0, cities.length)]!;
  const value = String(random.nextInt(0, 5));
  switch (random.nextInt(0, 5)) {
    case 0:
      return { kind: 'put', key, value };
    case 1:
      return { kind: 'delete', key };
    case 2:
      return { kind: 'cas', key, expected: random.chance(0.3) ? null : String(random.nextInt(0, 5)), value };
    default:
      return { kind: 'get', key };
  }
}

const shape = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  clients: fc.integer({ min: 1, max: 8 }),
  operations: fc.integer({ min: 1, max: 300 }),
  timeoutProbability: fc.constantFrom(0, 0.05, 0.3),
});

test('histories produced by running the key-value model are linearizable', () => {
  const model = kvRegistersModel();
  fc.assert(
    fc.property(shape, ({ seed, ...options }) => {
      const history = randomLinearizableHistory(model, new SeededRandom(seed), { ...options, nextInput: nextKvInput, lostProbability: 0.5 });
      const result = checkLinearizability(model, history);
      assert.equal(result.verdict, 'ok', formatCheckResult(result));
    }),
    { numRuns: 200 },
  );
});

test('one read corrupted to a value never written is always caught', () => {
  const model = kvRegistersModel();
  fc.assert(
    fc.property(shape, fc.nat(), ({ seed, ...options }, pick) => {
      const history: Operation<KvInput, KvOutput>[] = randomLinearizableHistory(model, new SeededRandom(seed), { ...options, nextInput: nextKvInput, lostProbability: 0.5 });
      const reads = history.map((op, index) => ({ op, index })).filter(({ op }) => op.input.kind === 'get' && !isPending(op));
      fc.pre(reads.length > 0);
      const { op, index } = reads[pick % reads.length]!;
      history[index] = { ...op, output: { kind: 'get', value: 'never-written' } };
      const result = checkLinearizability(model, history);
      assert.equal(result.verdict, 'violation');
      if (result.verdict === 'violation') assert.equal(result.violation.partKey, op.input.key);
    }),
    { numRuns: 200 },
  );
});

test('histories of one heavily shared register are linearizable', () => {
  const model = registerModel();
  fc.assert(
    fc.property(shape, ({ seed, ...options }) => {
      const history = randomLinearizableHistory(model, new SeededRandom(seed), {
        ...options,
        lostProbability: 0.5,
        nextInput: (random): RegisterInput => (random.chance(0.5) ? { kind: 'read' } : { kind: 'write', value: String(random.nextInt(0, 3)) }),
      });
      assert.equal(checkLinearizability(model, history).verdict, 'ok');
    }),
    { numRuns: 200 },
  );
});

test('a ten-thousand-operation history over a hundred keys checks within its step budget', () => {
  const model = kvRegistersModel();
  const keys = Array.from({ length: 100 }, (_, i) => `widget-${i}`);
  const history = randomLinearizableHistory(model, new SeededRandom(2024), {
    clients: 10,
    operations: 10_000,
    timeoutProbability: 0.02,
    lostProbability: 0.5,
    nextInput: (random) => ({ ...nextKvInput(random), key: keys[random.nextInt(0, keys.length)]! }),
  });
  const result = checkLinearizability(model, history, { maxSteps: 1_000_000 });
  assert.equal(result.verdict, 'ok', formatCheckResult(result));
  assert.equal(result.partsChecked, 100);
});
