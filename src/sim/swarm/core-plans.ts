// What the kv swarm's clients ask for: widget counts for the book's cities
// under two prefixes, written with puts, deletes and transactions guarded on
// a key's value, version, create or mod revision, and read back one key or
// one prefix at a time. Guards use what some client saw recently, so a fair
// share of transactions succeed; the rest take their failure branch.

import { prefixRangeEnd, type Compare, type KeyValue, type MvccInput, type MvccOutput, type RequestOp } from '../../check/index.js';
import type { Random } from '../../runtime/random.js';
import { keyValuesIn } from './core-requests.js';

export const kvKeys = ['widgets/boston', 'widgets/philadelphia', 'widgets/london', 'widgets/pune', 'gadgets/boston', 'gadgets/pune'] as const;
export const kvPrefixes = ['widgets/', 'gadgets/'] as const;
/** A range over every key the swarm writes (etcd: key "\0", range end "\0"). */
export const everything = { key: '\0', rangeEnd: '\0' } as const;

export type PlanKind = 'put' | 'range' | 'serializable-range' | 'txn' | 'delete-range' | 'lease-grant' | 'lease-revoke' | 'compact';

/** Relative weights of each kind of client request. */
const weights: readonly [PlanKind, number][] = [
  ['put', 22], ['range', 18], ['serializable-range', 8], ['txn', 22], ['delete-range', 8], ['lease-grant', 6], ['lease-revoke', 2], ['compact', 2],
];
const totalWeight = weights.reduce((sum, [, weight]) => sum + weight, 0);

export function pickKind(random: Random): PlanKind {
  let roll = random.nextInt(0, totalWeight);
  for (const [kind, weight] of weights) {
    if (roll < weight) return kind;
    roll -= weight;
  }
  return 'put';
}

/** What the clients together last saw of each key, and the newest revision any response carried. */
export class Knowledge {
  private readonly keys = new Map<string, KeyValue | null>();
  newestRevision = 0;

  learn(input: MvccInput, output: MvccOutput): void {
    this.newestRevision = Math.max(this.newestRevision, output.revision);
    for (const kv of keyValuesIn(output)) this.keys.set(kv.key, kv);
    const ops = input.kind === 'txn' ? (output.kind === 'txn' && output.succeeded ? input.success : input.failure) : [input];
    for (const op of ops) {
      if (op.kind === 'delete-range' && op.rangeEnd === undefined) this.keys.set(op.key, null);
      if (op.kind !== 'put') continue;
      const previous = this.keys.get(op.key) ?? null;
      this.keys.set(op.key, { key: op.key, value: op.value, modRevision: output.revision, createRevision: previous?.createRevision ?? output.revision, version: (previous?.version ?? 0) + 1 });
    }
  }

  seen(key: string): KeyValue | null {
    return this.keys.get(key) ?? null;
  }
}

export function randomKey(random: Random): string {
  return kvKeys[random.nextInt(0, kvKeys.length)]!;
}

function otherKey(random: Random, key: string): string {
  const others = kvKeys.filter((each) => each !== key);
  return others[random.nextInt(0, others.length)]!;
}

/** One key, one prefix, or (rarely) everything. */
export function planRange(random: Random): MvccInput {
  const roll = random.nextInt(0, 10);
  if (roll < 6) return { kind: 'range', key: randomKey(random) };
  if (roll < 9) {
    const prefix = kvPrefixes[random.nextInt(0, kvPrefixes.length)]!;
    return { kind: 'range', key: prefix, rangeEnd: prefixRangeEnd(prefix) };
  }
  return { kind: 'range', ...everything };
}

export function planDelete(random: Random): MvccInput {
  if (random.chance(0.8)) return { kind: 'delete-range', key: randomKey(random) };
  const prefix = kvPrefixes[random.nextInt(0, kvPrefixes.length)]!;
  return { kind: 'delete-range', key: prefix, rangeEnd: prefixRangeEnd(prefix) };
}

/** A guarded write: compare-and-swap on the value, a version or mod-revision guard, create-if-absent, or a read-only check. */
export function planTxn(random: Random, knowledge: Knowledge, value: string): MvccInput {
  const key = randomKey(random);
  const second = otherKey(random, key);
  const seen = knowledge.seen(key);
  const stale = random.chance(0.2);
  const results = ['equal', 'not-equal', 'greater', 'less'] as const;
  let compare: Compare;
  let success: RequestOp[] = [{ kind: 'put', key, value }];
  let failure: RequestOp[] = [{ kind: 'range', key }];
  switch (random.nextInt(0, 5)) {
    case 0:
      compare = { key, target: 'value', result: 'equal', operand: seen === null || stale ? `${value}-never` : seen.value };
      break;
    case 1:
      compare = { key, target: 'version', result: results[random.nextInt(0, results.length)]!, operand: (seen?.version ?? 0) + (stale ? 1 : 0) };
      success = [{ kind: 'put', key, value }, { kind: 'put', key: second, value: `${value}+` }];
      failure = [{ kind: 'range', key: key.slice(0, key.indexOf('/') + 1), rangeEnd: prefixRangeEnd(key.slice(0, key.indexOf('/') + 1)) }];
      break;
    case 2:
      compare = { key, target: 'mod', result: 'equal', operand: (seen?.modRevision ?? 0) + (stale ? 1 : 0) };
      success = [{ kind: 'put', key, value }, { kind: 'delete-range', key: second }];
      break;
    case 3:
      compare = { key, target: 'create', result: 'equal', operand: 0 };
      failure = [{ kind: 'range', key }, { kind: 'put', key: second, value }];
      break;
    default:
      compare = { key, target: 'version', result: 'greater', operand: 0 };
      success = [{ kind: 'range', key }];
      failure = [{ kind: 'range', key: second }];
  }
  return { kind: 'txn', compare: [compare], success, failure };
}
