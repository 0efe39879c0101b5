// Leases must not expire early. A lease's key may disappear only after the
// lease's time ran out: no sooner than the TTL after the grant was sent, or
// after the last keep-alive that was answered was sent (the server starts
// the countdown after it receives either, and only ever restarts it later,
// e.g. when a new leader takes over). A client revoke allows it at once.
//
// When did the key disappear? The cluster's record says at which revision;
// the first client response at or past that revision bounds the moment from
// above. If that response came back before the lease could end, the lease
// expired early: a member's clock ran fast, or a leader counted down a lease
// it no longer owned.

import type { CommittedRevision } from '../check/index.js';
import type { LeaseRecord, RecordedOp } from './history.js';

export interface LeaseCheck {
  readonly checked: number;
  readonly early: string[];
}

export function checkLeases(leases: readonly LeaseRecord[], ops: readonly RecordedOp[], committed: readonly CommittedRevision[]): LeaseCheck {
  const deletedAt = new Map<string, number>();
  for (const revision of committed) {
    for (const event of revision.events) if (event.type === 'delete' && !deletedAt.has(event.key)) deletedAt.set(event.key, revision.revision);
  }
  // Earliest return of any response whose header revision is at least r, for every r.
  const completed = ops.filter((op) => op.output !== undefined && op.returnMs !== undefined && op.purpose !== 'serializable');
  completed.sort((a, b) => b.output!.revision - a.output!.revision);
  const firstSeen: { revision: number; returnMs: number }[] = [];
  let earliest = Infinity;
  for (const op of completed) {
    earliest = Math.min(earliest, op.returnMs!);
    firstSeen.push({ revision: op.output!.revision, returnMs: earliest });
  }
  const observedBy = (revision: number): number => {
    // firstSeen is sorted by revision descending; find the last entry with revision >= the one asked.
    let low = 0;
    let high = firstSeen.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (firstSeen[middle]!.revision >= revision) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? Infinity : firstSeen[low - 1]!.returnMs;
  };
  const early: string[] = [];
  let checked = 0;
  for (const lease of leases) {
    const revision = deletedAt.get(lease.key);
    if (revision === undefined) continue;
    checked++;
    const seenGoneMs = observedBy(revision);
    const { startMs, ttlSeconds, notBeforeMs } = leaseDeadline(lease);
    const revokedBefore = lease.revokeCallsMs.some((callMs) => callMs <= seenGoneMs);
    if (seenGoneMs < notBeforeMs && !revokedBefore) {
      early.push(
        `lease ${lease.leaseId} (TTL ${ttlSeconds} s from ${startMs.toFixed(0)} ms) lost its key ${lease.key} at revision ${revision}, ` +
          `which a client saw by ${seenGoneMs.toFixed(0)} ms: ${(notBeforeMs - seenGoneMs).toFixed(0)} ms early`,
      );
    }
  }
  return { checked, early };
}

/**
 * The earliest moment the lease may end: its TTL after the grant was sent,
 * moved on by each keep-alive sent while the lease still had time. A
 * keep-alive sent after that deadline races the expiry (the server may
 * already be revoking it, and etcd 3.4 can answer such a keep-alive with a
 * full TTL while the revoke is in flight), so it does not move the bound.
 */
export function leaseDeadline(lease: Pick<LeaseRecord, 'grantCallMs' | 'ttlSeconds' | 'keepAlives'>): { startMs: number; ttlSeconds: number; notBeforeMs: number } {
  let startMs = lease.grantCallMs;
  let ttlSeconds = lease.ttlSeconds;
  let notBeforeMs = startMs + ttlSeconds * 1_000;
  for (const keepAlive of [...lease.keepAlives].sort((a, b) => a.callMs - b.callMs)) {
    if (keepAlive.callMs > notBeforeMs) break;
    startMs = keepAlive.callMs;
    ttlSeconds = keepAlive.ttlSeconds;
    notBeforeMs = Math.max(notBeforeMs, startMs + ttlSeconds * 1_000);
  }
  return { startMs, ttlSeconds, notBeforeMs };
}
