// The kv swarm's leases: the clients' leases, their keep-alives, and the
// witness of the Lease pattern's promise. A client grants a lease, attaches
// puts to it, and keeps it alive for a while (sometimes not at all) before
// letting it expire; some it revokes itself.
//
// The promise checked (the Lease pattern, etcd's lessor): a lease never
// expires before its TTL has passed, counted on the monotonic clock of the
// leader that expires it, from the last moment a client was told the lease
// was alive (its grant, or a keep-alive that answered with a TTL). Wall-clock
// jumps and drift change nothing to that, since only the monotonic clock
// counts. The witness samples every machine's monotonic clock when a client
// calls, and the leader's when its Lessor decides an expiry; the decision is
// judged once its revoke commits (a deposed leader's decisions never do).
// And the converse: a keep-alive must not answer "gone" for a lease that was
// granted and cannot have expired yet by any clock.

import type { NodeId } from '../../ids.js';
import type { Random } from '../../runtime/random.js';
import type { Outcome } from '../../server/client-errors.js';
import type { CoreCluster } from './core-cluster.js';
import type { CoreLedger } from './core-ledger.js';

/** Monotonic clock readings of every machine at one instant. */
export type ClockSample = ReadonlyMap<NodeId, number>;

interface Acknowledgement {
  readonly callMs: number;
  readonly returnMs: number;
  readonly clocks: ClockSample;
}

export interface ClientLease {
  readonly id: bigint;
  readonly owner: string;
  readonly ttlMs: number;
  readonly grantCallMs: number;
  readonly grantClocks: ClockSample;
  /** Keep-alives stop after this (simulated time); the lease then expires. */
  readonly keepUntilMs: number;
  granted: boolean;
  /** The client learned the lease is gone (keep-alive answered 0), or revoked it. */
  gone: boolean;
  revokeCalledMs: number | null;
  readonly acknowledgements: Acknowledgement[];
}

export interface LeaseStatistics {
  granted: number;
  keepAlivesAcknowledged: number;
  expiriesReported: number;
  expiriesChecked: number;
}

export const keepAliveTimeoutMs = 1_500;
/** The fastest any clock runs in the kv swarm's fault schedule (it draws drifts within this bound). */
export const maxDriftPpm = 200;

export class LeaseKeeper {
  readonly leases = new Map<bigint, ClientLease>();
  readonly statistics: LeaseStatistics = { granted: 0, keepAlivesAcknowledged: 0, expiriesReported: 0, expiriesChecked: 0 };
  private running = true;
  private nextId = 1n;
  /** Every expiry a Lessor decided, by lease. */
  private readonly decisions = new Map<bigint, { node: NodeId; atMs: number; monotonicMs: number }[]>();
  /** Who led each term, as the nodes reported it. */
  private readonly leaders = new Map<number, NodeId>();

  constructor(
    private readonly cluster: CoreCluster,
    private readonly members: ReadonlySet<NodeId>,
    private readonly ledger: CoreLedger,
    private readonly random: Random,
    private readonly report: (detail: string) => void,
  ) {}

  stop(): void {
    this.running = false;
  }

  /** Every machine's monotonic clock now. */
  sampleClocks(): ClockSample {
    const sample = new Map<NodeId, number>();
    for (const id of this.cluster.machines()) sample.set(id, this.cluster.world.clock(id).monotonicNowMs());
    return sample;
  }

  /** A new lease for `owner`, about to be granted: ids are unique over the run, TTLs 2 to 4 seconds. */
  plan(owner: string): ClientLease {
    const ttlSeconds = 2 + this.random.nextInt(0, 3);
    const keepForMs = this.random.chance(0.3) ? 0 : this.random.nextInt(1_000, 20_000);
    const lease: ClientLease = {
      id: 0x1000n + this.nextId++, owner, ttlMs: ttlSeconds * 1_000, grantCallMs: this.cluster.world.nowMs(), grantClocks: this.sampleClocks(),
      keepUntilMs: this.cluster.world.nowMs() + keepForMs, granted: false, gone: false, revokeCalledMs: null, acknowledgements: [],
    };
    this.leases.set(lease.id, lease);
    return lease;
  }

  granted(lease: ClientLease): void {
    lease.granted = true;
    this.statistics.granted++;
    this.scheduleKeepAlive(lease);
  }

  /** A lease of `owner` it may attach keys to: granted, and as far as it knows alive. */
  usable(owner: string): ClientLease | undefined {
    const now = this.cluster.world.nowMs();
    const candidates = [...this.leases.values()].filter((lease) => lease.owner === owner && lease.granted && !lease.gone && lease.revokeCalledMs === null && now < Math.max(lease.keepUntilMs, lease.grantCallMs + lease.ttlMs));
    return candidates.length === 0 ? undefined : candidates[this.random.nextInt(0, candidates.length)];
  }

  /** A node's Lessor decided these leases expired: it proposes their revokes now (if it still leads, they may commit). */
  expiryDecided(node: NodeId, ids: readonly bigint[], monotonicNowMs: number): void {
    for (const id of ids) {
      this.statistics.expiriesReported++;
      const decisions = this.decisions.get(id) ?? [];
      decisions.push({ node, atMs: this.cluster.world.nowMs(), monotonicMs: monotonicNowMs });
      this.decisions.set(id, decisions);
    }
  }

  leaderElected(term: number, node: NodeId): void {
    this.leaders.set(term, node);
  }

  /**
   * A lease expired: its revoke, proposed by the leader of `term`, applied
   * for the first time. That leader's decision must have come a full TTL
   * after the last moment a client was told the lease was alive, on its own
   * monotonic clock. (Decisions that never commit, like a deposed leader's
   * on waking from a pause, expire nothing and are not judged.)
   */
  expired(id: bigint, term: number): void {
    const lease = this.leases.get(id);
    const leader = this.leaders.get(term);
    if (lease === undefined || leader === undefined) return;
    const decision = (this.decisions.get(id) ?? []).filter((each) => each.node === leader).at(-1);
    if (decision === undefined) {
      this.report(`lease ${id} expired through an entry of term ${term}, but its leader ${leader} never decided it expired`);
      return;
    }
    const start = this.lastToldAlive(lease, decision.atMs);
    const startMonotonicMs = start.clocks.get(leader);
    if (startMonotonicMs === undefined) return;
    this.statistics.expiriesChecked++;
    const livedMs = decision.monotonicMs - startMonotonicMs;
    if (livedMs < lease.ttlMs - 1e-6) {
      this.report(`lease ${id} (TTL ${lease.ttlMs} ms) was expired by ${leader}, leader of term ${term}, at ${decision.atMs} ms, only ${livedMs.toFixed(1)} ms after ${start.what} at ${start.atMs} ms, on ${leader}'s monotonic clock`);
    }
  }

  /** The client's revoke is on its way: from now on the lease may vanish at any moment. */
  revoking(lease: ClientLease): void {
    lease.revokeCalledMs = this.cluster.world.nowMs();
  }

  private lastToldAlive(lease: ClientLease, nowMs: number): { atMs: number; clocks: ClockSample; what: string } {
    let best = { atMs: lease.grantCallMs, clocks: lease.grantClocks, what: 'its grant was called' };
    for (const ack of lease.acknowledgements) {
      if (ack.returnMs <= nowMs && ack.callMs > best.atMs) best = { atMs: ack.callMs, clocks: ack.clocks, what: 'an acknowledged keep-alive was called' };
    }
    return best;
  }

  private scheduleKeepAlive(lease: ClientLease): void {
    const intervalMs = lease.ttlMs / 3;
    this.cluster.world.after(intervalMs, 'keep-alive', () => {
      if (!this.running || lease.gone || lease.revokeCalledMs !== null || this.cluster.world.nowMs() >= lease.keepUntilMs) return;
      this.keepAlive(lease);
      this.scheduleKeepAlive(lease);
    });
  }

  private keepAlive(lease: ClientLease): void {
    const members = [...this.members];
    if (members.length === 0) return;
    const member = members[this.random.nextInt(0, members.length)]!;
    const callMs = this.cluster.world.nowMs();
    const clocks = this.sampleClocks();
    // Whether the lease was in the committed state when the keep-alive was sent: only then may "gone" be judged.
    const existed = this.ledger.leaseExists(lease.id);
    let answered = false;
    this.cluster.world.after(keepAliveTimeoutMs, 'keep-alive timeout', () => {
      answered = true;
    });
    const finish = (outcome: Outcome<number>): void => {
      if (answered) return;
      answered = true;
      if (outcome.ok) this.answered(lease, member, callMs, clocks, existed, outcome.value);
    };
    this.cluster.call<number>(member, finish, (node) => node.leaseKeepAlive(lease.id, finish));
  }

  private answered(lease: ClientLease, member: NodeId, callMs: number, clocks: ClockSample, existed: boolean, ttlSeconds: number): void {
    const returnMs = this.cluster.world.nowMs();
    if (ttlSeconds > 0) {
      this.statistics.keepAlivesAcknowledged++;
      lease.acknowledgements.push({ callMs, returnMs, clocks });
      return;
    }
    lease.gone = true;
    if (!existed || lease.revokeCalledMs !== null) return;
    // Any leader's clock runs at most maxDriftPpm fast: the lease cannot have expired before this much simulated time.
    const start = this.lastToldAlive(lease, callMs);
    const earliestExpiryMs = start.atMs + lease.ttlMs / (1 + maxDriftPpm / 1e6);
    if (returnMs < earliestExpiryMs) {
      this.report(`a keep-alive of lease ${lease.id} sent to ${member} at ${callMs} ms answered that it is gone, but it existed when the keep-alive was sent and cannot expire before ${earliestExpiryMs.toFixed(0)} ms (${start.what} at ${start.atMs} ms, TTL ${lease.ttlMs} ms)`);
    }
  }
}
