// Deciding a txn's path before it runs, as etcd's compareToPath does: the
// top-level compares pick success or failure, and every nested txn in the
// chosen branch is decided too, all against the state before any write.

import type { Found } from './range-query.js';
import type { Compare, TxnRequest } from './types.js';

export interface TxnPlan {
  readonly succeeded: boolean;
  /** Plans of the nested txns in the chosen branch, in order. */
  readonly nested: readonly TxnPlan[];
}

export type LiveKeys = (compare: Compare) => Found[];

export function planTxn(request: TxnRequest, liveKeys: LiveKeys): TxnPlan {
  const succeeded = request.compare.every((compare) => compareHolds(compare, liveKeys(compare)));
  const nested: TxnPlan[] = [];
  for (const op of succeeded ? request.success : request.failure) {
    if (op.type === 'txn') nested.push(planTxn(op.request, liveKeys));
  }
  return { succeeded, nested };
}

/**
 * etcd's applyCompare: every key in the compare's range must satisfy it. A
 * missing key compares as zero revisions, version and lease, except that a
 * value compare on a missing key always fails (gRPC cannot tell an empty
 * value from none).
 */
export function compareHolds(compare: Compare, found: readonly Found[]): boolean {
  if (found.length === 0) {
    if (compare.target === 'value') return false;
    return holds(compare, sign(0, targetOf(compare)));
  }
  return found.every(([, entry]) => {
    switch (compare.target) {
      case 'value':
        return holds(compare, compareBytes(entry.value ?? '', compare.value));
      case 'version':
        return holds(compare, sign(entry.version, compare.version));
      case 'create':
        return holds(compare, sign(entry.createRev, compare.createRevision));
      case 'mod':
        return holds(compare, sign(entry.rev, compare.modRevision));
      case 'lease':
        return holds(compare, sign(entry.lease, compare.lease));
    }
  });
}

function targetOf(compare: Compare): number | bigint {
  switch (compare.target) {
    case 'value':
      return 0;
    case 'version':
      return compare.version;
    case 'create':
      return compare.createRevision;
    case 'mod':
      return compare.modRevision;
    case 'lease':
      return compare.lease;
  }
}

function sign<T extends number | bigint>(a: T | number, b: T | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBytes(stored: string, wanted: Uint8Array): number {
  const n = Math.min(stored.length, wanted.length);
  for (let i = 0; i < n; i++) {
    const d = stored.charCodeAt(i) - wanted[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return sign(stored.length, wanted.length);
}

function holds(compare: Compare, result: number): boolean {
  switch (compare.result) {
    case 'equal':
      return result === 0;
    case 'not-equal':
      return result !== 0;
    case 'greater':
      return result > 0;
    case 'less':
      return result < 0;
  }
}
