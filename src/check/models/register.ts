// A single read/write register: the smallest object linearizability is
// defined for, and the model the book's stale-read stories are told with.

import { hashString, type Model } from '../model.js';

export type RegisterInput = { readonly kind: 'read' } | { readonly kind: 'write'; readonly value: string };

/** A read returns the value, or null before any write; a write returns nothing worth checking. */
export type RegisterOutput = { readonly kind: 'read'; readonly value: string | null } | { readonly kind: 'write' };

export type RegisterState = string | null;

export function registerModel(initial: RegisterState = null): Model<RegisterState, RegisterInput, RegisterOutput> {
  return {
    name: 'register',
    init: () => initial,
    step: (state, input) =>
      input.kind === 'read' ? { state, output: { kind: 'read', value: state } } : { state: input.value, output: { kind: 'write' } },
    outputMatches: (expected, observed) => {
      if (observed === undefined || observed.kind !== expected.kind) return false;
      return expected.kind === 'write' || (observed.kind === 'read' && observed.value === expected.value);
    },
    hash: hashValue,
    equal: (a, b) => a === b,
    isReadOnly: (input) => input.kind === 'read',
    describeInput: (input) => (input.kind === 'read' ? 'read()' : `write(${JSON.stringify(input.value)})`),
    describeOutput: (output) => (output === undefined ? 'nothing' : output.kind === 'read' ? JSON.stringify(output.value) : 'ok'),
    describeState: (state) => JSON.stringify(state),
  };
}

/** Distinguishes null from every string, the empty one included. */
export function hashValue(value: string | null): number {
  return value === null ? 0x6b43a9b5 : hashString(value);
}
