// The etcd-style MVCC store as a plain linearizability model: the whole store
// is the state, so the history is one part and the generic search explores
// it. That is exact but slow on long histories; mvcc-checker.ts checks the
// same specification by ordering writes by the revisions they returned. This
// model is its reference: property tests hold the two to the same verdicts.

import { describeValue, hashString, type Model } from '../model.js';
import { execute, isReadOnlyRequest, mvccOutputMatches, type KeyValue, type MvccInput, type MvccOutput } from './mvcc-store.js';

export interface MvccState {
  readonly revision: number;
  readonly keys: ReadonlyMap<string, KeyValue>;
}

export function mvccModel(): Model<MvccState, MvccInput, MvccOutput> {
  return {
    name: 'mvcc',
    init: () => ({ revision: 0, keys: new Map() }),
    step: (state, input) => {
      const keys = new Map(state.keys);
      const { output, wrote } = execute(keys, state.revision, input, []);
      return { state: wrote ? { revision: state.revision + 1, keys } : state, output };
    },
    outputMatches: mvccOutputMatches,
    hash: (state) => {
      let hash = state.revision;
      for (const kv of state.keys.values()) hash ^= hashKeyValue(kv);
      return hash >>> 0;
    },
    equal: (a, b) => {
      if (a.revision !== b.revision || a.keys.size !== b.keys.size) return false;
      // Two searches may reach one revision through different pending writes, so compare whole entries.
      for (const [key, kv] of a.keys) {
        const other = b.keys.get(key);
        if (other === undefined || other.value !== kv.value || other.modRevision !== kv.modRevision) return false;
        if (other.createRevision !== kv.createRevision || other.version !== kv.version) return false;
      }
      return true;
    },
    isReadOnly: isReadOnlyRequest,
    describeInput: (input) => describeValue(input),
    describeOutput: (output) => describeValue(output),
    describeState: (state) => describeStore(state.revision, state.keys),
  };
}

export function hashKeyValue(kv: KeyValue): number {
  return hashString(kv.value, hashString(kv.key, Math.imul(kv.modRevision, 0x9e3779b1) ^ kv.version));
}

export function describeStore(revision: number, keys: ReadonlyMap<string, KeyValue>): string {
  const entries = [...keys.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  return `revision ${revision} ${describeValue(Object.fromEntries(entries.map((kv) => [kv.key, `${kv.value}@${kv.createRevision}/${kv.modRevision}/v${kv.version}`])))}`;
}
