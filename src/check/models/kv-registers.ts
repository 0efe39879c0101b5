// A key-value map of independent registers: get, put, delete and
// compare-and-set, as the Raft swarm's small store offers them. Keys never
// interact, so the history is partitioned by key (P-compositionality) and
// each key's operations are searched alone: the search cost grows with the
// concurrency on one key, not with the length of the whole history.

import { describeValue, hashString, partitionBy, type Model } from '../model.js';
import { hashValue } from './register.js';

export type KvInput =
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string }
  /** Sets value only if the key holds `expected`; expected null means "only if absent". */
  | { readonly kind: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string };

/**
 * What the client saw. Optional fields are checked only when the recorder
 * filled them in, so a client API that does not report them still fits.
 */
export type KvOutput =
  | { readonly kind: 'get'; readonly value: string | null }
  | { readonly kind: 'put'; readonly previous?: string | null }
  | { readonly kind: 'delete'; readonly deleted?: boolean }
  | { readonly kind: 'cas'; readonly succeeded: boolean };

/** Key to value; absent keys hold nothing. Never mutated: a write makes a new map. */
export type KvState = ReadonlyMap<string, string>;

export function kvRegistersModel(): Model<KvState, KvInput, KvOutput> {
  return {
    name: 'kv-registers',
    init: () => new Map(),
    step: (state, input) => {
      const current = state.get(input.key) ?? null;
      switch (input.kind) {
        case 'get':
          return { state, output: { kind: 'get', value: current } };
        case 'put':
          return { state: withValue(state, input.key, input.value), output: { kind: 'put', previous: current } };
        case 'delete':
          return { state: withValue(state, input.key, null), output: { kind: 'delete', deleted: current !== null } };
        case 'cas': {
          const succeeded = current === input.expected;
          return { state: succeeded ? withValue(state, input.key, input.value) : state, output: { kind: 'cas', succeeded } };
        }
      }
    },
    outputMatches: (expected, observed) => {
      if (observed === undefined || observed.kind !== expected.kind) return false;
      switch (expected.kind) {
        case 'get':
          return observed.kind === 'get' && observed.value === expected.value;
        case 'put':
          return observed.kind === 'put' && (observed.previous === undefined || observed.previous === expected.previous);
        case 'delete':
          return observed.kind === 'delete' && (observed.deleted === undefined || observed.deleted === expected.deleted);
        case 'cas':
          return observed.kind === 'cas' && observed.succeeded === expected.succeeded;
      }
    },
    hash: (state) => {
      // XOR of per-entry hashes: independent of insertion order, as equality is.
      let hash = 0;
      for (const [key, value] of state) hash ^= hashString(key, hashValue(value));
      return hash >>> 0;
    },
    equal: (a, b) => {
      if (a.size !== b.size) return false;
      for (const [key, value] of a) if (b.get(key) !== value) return false;
      return true;
    },
    partition: (operations) => partitionBy(operations, (input) => input.key),
    isReadOnly: (input) => input.kind === 'get',
    describeInput: (input) => {
      switch (input.kind) {
        case 'get':
        case 'delete':
          return `${input.kind}(${input.key})`;
        case 'put':
          return `put(${input.key}, ${JSON.stringify(input.value)})`;
        case 'cas':
          return `cas(${input.key}, ${JSON.stringify(input.expected)} -> ${JSON.stringify(input.value)})`;
      }
    },
    describeOutput: (output) => describeValue(output),
    describeState: (state) => describeValue(Object.fromEntries(state)),
  };
}

function withValue(state: KvState, key: string, value: string | null): KvState {
  if ((state.get(key) ?? null) === value) return state;
  const next = new Map(state);
  if (value === null) next.delete(key);
  else next.set(key, value);
  return next;
}
