// The leader's half of the Lease pattern: when each lease expires. Only the
// leader counts down, on its MONOTONIC clock, so a wall-clock jump cannot
// expire a lease early. Expired leases are reported for the node to propose
// revokes through the log; the state machine deletes their keys when the
// revoke applies. A new leader gives every lease its full TTL again
// (promote), because it cannot know how much of the old countdown was spent:
// a lease may live longer than its TTL across a leader change, never shorter.

import { assert } from '../assert.js';
import type { Clock } from '../runtime/clock.js';
import type { LeaseChange } from './kv-state-machine.js';

export interface LessorOptions {
  readonly clock: Clock;
  /** A lease the node reported but did not revoke is reported again after this long. */
  readonly expiredRetryIntervalMs?: number;
  /** Most expired leases reported by one call to expired(), so revokes do not flood the log. */
  readonly maxExpiredPerCheck?: number;
}

interface TrackedLease {
  readonly ttlMs: number;
  /** Monotonic deadline; Infinity while this node is not the leader. */
  deadlineMs: number;
  reportedAtMs: number | null;
}

export type RenewOutcome =
  | { readonly ok: true; readonly ttlSeconds: number }
  | { readonly ok: false; readonly reason: 'not-found' | 'expired' | 'not-leader' };

export class Lessor {
  private readonly leases = new Map<bigint, TrackedLease>();
  private primary = false;
  private readonly clock: Clock;
  private readonly expiredRetryIntervalMs: number;
  private readonly maxExpiredPerCheck: number;

  constructor(options: LessorOptions) {
    this.clock = options.clock;
    this.expiredRetryIntervalMs = options.expiredRetryIntervalMs ?? 3_000;
    this.maxExpiredPerCheck = options.maxExpiredPerCheck ?? 1_000;
    assert(this.maxExpiredPerCheck > 0, 'maxExpiredPerCheck must be positive');
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  get size(): number {
    return this.leases.size;
  }

  /** A grant was applied (ttlSeconds as the state machine granted it). */
  granted(id: bigint, ttlSeconds: number): void {
    const ttlMs = ttlSeconds * 1000;
    this.leases.set(id, { ttlMs, deadlineMs: this.primary ? this.now() + ttlMs : Infinity, reportedAtMs: null });
  }

  /** A revoke was applied. */
  revoked(id: bigint): void {
    this.leases.delete(id);
  }

  /** Follows the replicated lease table: wire it to KvStateMachine.onLeaseChange on every member. */
  observe(change: LeaseChange): void {
    if (change.type === 'granted') this.granted(change.id, change.ttlSeconds);
    else if (change.type === 'revoked') this.revoked(change.id);
    else this.reset(change.leases);
  }

  /** The state machine was restored from a snapshot: track exactly its leases. */
  reset(leases: Iterable<{ readonly id: bigint; readonly ttlSeconds: number }>): void {
    this.leases.clear();
    for (const lease of leases) this.granted(lease.id, lease.ttlSeconds);
  }

  /**
   * This node became leader: every lease gets its full TTL from now, plus
   * extendMs (etcd adds an election timeout, so clients have time to find
   * the new leader and send keep-alives).
   */
  promote(extendMs = 0): void {
    this.primary = true;
    const now = this.now();
    for (const lease of this.leases.values()) {
      lease.deadlineMs = now + lease.ttlMs + extendMs;
      lease.reportedAtMs = null;
    }
  }

  /** This node is no longer leader: nothing expires here until it is promoted again. */
  demote(): void {
    this.primary = false;
    for (const lease of this.leases.values()) {
      lease.deadlineMs = Infinity;
      lease.reportedAtMs = null;
    }
  }

  /** A keep-alive: the lease lives a full TTL from now. An expired lease is not revived. */
  renew(id: bigint): RenewOutcome {
    if (!this.primary) return { ok: false, reason: 'not-leader' };
    const lease = this.leases.get(id);
    if (lease === undefined) return { ok: false, reason: 'not-found' };
    const now = this.now();
    if (lease.deadlineMs <= now) return { ok: false, reason: 'expired' };
    lease.deadlineMs = now + lease.ttlMs;
    return { ok: true, ttlSeconds: lease.ttlMs / 1000 };
  }

  /**
   * Seconds left, truncated as etcd reports them; -1 once expired; null if
   * unknown. Only meaningful on the leader.
   */
  remainingSeconds(id: bigint): number | null {
    const lease = this.leases.get(id);
    if (lease === undefined) return null;
    if (lease.deadlineMs === Infinity) return lease.ttlMs / 1000;
    const leftMs = lease.deadlineMs - this.now();
    return leftMs <= 0 ? -1 : Math.floor(leftMs / 1000);
  }

  /**
   * Leases past their deadline that the node should propose revokes for,
   * oldest deadline first, at most maxExpiredPerCheck. A lease reported once
   * is reported again only after expiredRetryIntervalMs, in case that revoke
   * was lost with a leader change.
   */
  expired(): bigint[] {
    if (!this.primary) return [];
    const now = this.now();
    const due: [bigint, TrackedLease][] = [];
    for (const entry of this.leases) {
      const lease = entry[1];
      if (lease.deadlineMs > now) continue;
      if (lease.reportedAtMs !== null && now - lease.reportedAtMs < this.expiredRetryIntervalMs) continue;
      due.push(entry);
    }
    due.sort((a, b) => a[1].deadlineMs - b[1].deadlineMs || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const reported = due.slice(0, this.maxExpiredPerCheck);
    for (const [, lease] of reported) lease.reportedAtMs = now;
    return reported.map(([id]) => id);
  }

  private now(): number {
    return this.clock.monotonicNowMs();
  }
}
