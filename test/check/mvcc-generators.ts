// Random etcd-style requests over the book's cities, for the MVCC property tests.
import type { Compare, MvccInput, RequestOp } from '../../src/check/index.js';
import type { Random } from '../../src/runtime/random.js';

export const cities = ['boston', 'philadelphia', 'london', 'pune'];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.nextInt(0, items.length)]!;
}

function requestOp(random: Random, keys: readonly string[]): RequestOp {
  const key = pick(random, keys);
  switch (random.nextInt(0, 4)) {
    case 0:
      return { kind: 'put', key, value: String(random.nextInt(0, 4)) };
    case 1:
      return random.chance(0.8) ? { kind: 'delete-range', key } : { kind: 'delete-range', key: 'b', rangeEnd: 'm' };
    default:
      return random.chance(0.8) ? { kind: 'range', key } : { kind: 'range', key: '', rangeEnd: '\0' };
  }
}

function compare(random: Random, keys: readonly string[]): Compare {
  const key = pick(random, keys);
  const result = pick(random, ['equal', 'not-equal', 'greater', 'less'] as const);
  if (random.chance(0.5)) return { key, target: 'value', result, operand: String(random.nextInt(0, 4)) };
  return { key, target: pick(random, ['version', 'create', 'mod'] as const), result, operand: random.nextInt(0, 4) };
}

export function nextMvccInput(random: Random, keys: readonly string[] = cities): MvccInput {
  if (random.chance(0.25)) {
    return {
      kind: 'txn',
      compare: Array.from({ length: random.nextInt(0, 3) }, () => compare(random, keys)),
      success: Array.from({ length: random.nextInt(0, 3) }, () => requestOp(random, keys)),
      failure: Array.from({ length: random.nextInt(0, 2) }, () => requestOp(random, keys)),
    };
  }
  return requestOp(random, keys);
}
