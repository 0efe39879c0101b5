// What the linearizability checker needs to know about a data type: a
// deterministic sequential specification, a way to recognise repeated states
// for memoisation, and optionally a way to split a history into independent
// parts (P-compositionality, Horn & Kroening 2015: a history is linearizable
// iff each part over disjoint objects is).

import type { Operation } from './history.js';

export interface HistoryPart<Input, Output> {
  /** Names the part in explanations, e.g. the key. */
  readonly key: string;
  readonly operations: readonly Operation<Input, Output>[];
}

export interface Model<State, Input, Output> {
  readonly name: string;
  init(): State;
  /** The sequential specification: the next state and the output a correct system returns. States are never mutated. */
  step(state: State, input: Input): { readonly state: State; readonly output: Output };
  /** Whether what the client observed agrees with what the specification returned. */
  outputMatches(expected: Output, observed: Output | undefined): boolean;
  hash(state: State): number;
  equal(a: State, b: State): boolean;
  /** Splits a history into parts that can be checked alone; absent means one part. */
  partition?(operations: readonly Operation<Input, Output>[]): readonly HistoryPart<Input, Output>[];
  /** Operations that never change the state: a pending one can be dropped, since it is unobservable. */
  isReadOnly?(input: Input): boolean;
  describeInput?(input: Input): string;
  describeOutput?(output: Output | undefined): string;
  describeState?(state: State): string;
}

/** Groups operations by a key function, keeping history order within each group. */
export function partitionBy<Input, Output>(
  operations: readonly Operation<Input, Output>[],
  keyOf: (input: Input) => string,
): HistoryPart<Input, Output>[] {
  const groups = new Map<string, Operation<Input, Output>[]>();
  for (const operation of operations) {
    const key = keyOf(operation.input);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    group.push(operation);
  }
  return [...groups].map(([key, group]) => ({ key, operations: group }));
}

/** FNV-1a over a string's UTF-16 code units: a cheap, stable state hash. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** JSON that survives bigint, for explanations. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item));
}
