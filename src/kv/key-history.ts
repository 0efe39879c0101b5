// One key's history: the Versioned Value pattern. Each write of a key appends
// an immutable entry; a delete appends a tombstone. Entries stay in revision
// order, so a read at any retained revision finds the entry in force then.
// Arrays are only ever appended to in place; anything else (compaction)
// replaces the array, so snapshots that hold the old array stay valid: they
// simply ignore entries newer than their own revision.

import { entryOverheadBytes } from './limits.js';
import type { KeyString } from './key-bytes.js';
import { keyToBytes } from './key-bytes.js';
import type { KeyValue } from './types.js';

export const noLease = 0n;

export interface Version {
  /** Main revision of the write transaction. */
  readonly rev: number;
  /** Position of this change among the transaction's changes, from 0. */
  readonly sub: number;
  readonly createRev: number;
  readonly version: number;
  readonly lease: bigint;
  /** One-byte string of the value; null for a tombstone. */
  readonly value: string | null;
}

export type History = Version[];

/** One change of a committed revision, as watchers receive it. */
export interface Change {
  readonly key: KeyString;
  readonly entry: Version;
  /** The live entry this change replaced, if any. */
  readonly previous: Version | null;
}

/** Index of the last entry at or below rev, or -1. */
export function indexAt(history: readonly Version[], rev: number): number {
  let hi = history.length - 1;
  // Most reads are at the newest revision: the last entry answers them.
  if (hi < 0 || history[hi]!.rev <= rev) return hi;
  let lo = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (history[mid]!.rev <= rev) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}

/** The live (non-tombstone) entry in force at rev, or null. */
export function liveAt(history: readonly Version[] | undefined, rev: number): Version | null {
  if (history === undefined) return null;
  const i = indexAt(history, rev);
  if (i < 0) return null;
  const entry = history[i]!;
  return entry.value === null ? null : entry;
}

/** The entry written exactly at (rev, sub)'s main revision, or null. */
export function entryWrittenAt(history: readonly Version[], rev: number): { entry: Version; previous: Version | null } | null {
  const i = indexAt(history, rev);
  if (i < 0 || history[i]!.rev !== rev) return null;
  const previous = i > 0 ? history[i - 1]! : null;
  return { entry: history[i]!, previous: previous !== null && previous.value !== null ? previous : null };
}

export function entryCostBytes(key: KeyString, entry: Version): number {
  return entryOverheadBytes + key.length + (entry.value === null ? 0 : entry.value.length);
}

export function toKeyValue(key: KeyString, entry: Version, keysOnly = false): KeyValue {
  return {
    key: keyToBytes(key),
    createRevision: entry.createRev,
    modRevision: entry.rev,
    version: entry.version,
    value: keysOnly || entry.value === null ? new Uint8Array(0) : keyToBytes(entry.value),
    lease: entry.lease,
  };
}

/**
 * What compaction at rev keeps of one history: every entry above rev, and the
 * entry in force at rev unless it is a tombstone written before rev. A
 * tombstone written exactly at rev is kept so a watcher resuming at the
 * compaction revision still sees that delete.
 */
export function compactHistory(history: readonly Version[], rev: number): Version[] {
  let i = history.length - 1;
  while (i >= 0 && history[i]!.rev > rev) i--;
  if (i < 0) return history.slice();
  const inForce = history[i]!;
  const from = inForce.value === null && inForce.rev < rev ? i + 1 : i;
  return history.slice(from);
}

/** The change written at (rev, sub), with the live entry it replaced, if the history still holds it (compaction may have dropped it). */
export function heldChangeIn(key: KeyString, history: readonly Version[], rev: number, sub: number): Change | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i]!;
    if (entry.rev === rev && entry.sub === sub) {
      const before = i > 0 ? history[i - 1]! : null;
      return { key, entry, previous: before !== null && before.value !== null ? before : null };
    }
  }
  return null;
}
