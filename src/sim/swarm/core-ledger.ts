// The kv swarm's ledger: a shadow CoreMachine that applies each committed
// entry once, at the moment the first member anywhere applies it. State
// machine safety (checked by the SafetyMonitor) makes that entry the one every
// member applies at its index, and the first application is the earliest
// moment any client can observe it. So the ledger knows, independently of
// every member's own state:
// - the committed write history, revision by revision (what watchers must
//   receive, what serializable reads may show);
// - which client requests took effect, even when their clients never learned
//   it (an unknown write that never applied anywhere never happened);
// - the revisions that lease revocations made, with the instant they first
//   applied. No client asked for an expiry's deletes, yet they are writes the
//   specification must account for: each enters the history as a write by
//   the lessor that took effect exactly then.
// Entries reach the ledger in index order: the first member to apply index
// i + 1 applied i itself, or installed a snapshot taken by one that had.

import type { CommittedEvent, CommittedRevision, KeyValue as CheckKeyValue } from '../../check/index.js';
import type { Entry } from '../../consensus/types.js';
import type { KvResponse } from '../../kv/kv-state-machine.js';
import type { Change } from '../../kv/mvcc-store.js';
import { decodeCoreEntry } from '../../server/core-command.js';
import { CoreMachine, type CoreMachineOptions } from '../../server/core-machine.js';

/** A revision made by revoking a lease (on expiry, or by a client): the keys it deleted. */
export interface LeaseRevocation {
  readonly revision: number;
  readonly leaseId: bigint;
  readonly keys: readonly string[];
  /** Simulated time at which the first member applied it. */
  readonly atMs: number;
}

export class CoreLedger {
  readonly machine: CoreMachine;
  readonly committed: CommittedRevision[] = [];
  readonly revocations: LeaseRevocation[] = [];
  /** Request keys (session#seq) applied for the first time, with when. */
  readonly appliedRequests = new Map<string, number>();
  private appliedIndex = 0;
  private lastChanges: { revision: number; changes: readonly Change[] } | null = null;

  constructor(
    private readonly nowMs: () => number,
    private readonly report: (detail: string) => void,
    /** Told when a lease revoke that no client sent (a leader's expiry) applies, with the term of its entry. */
    private readonly leaseExpired: (id: bigint, term: number) => void,
    options: CoreMachineOptions = {},
  ) {
    this.machine = new CoreMachine(options);
    this.machine.kv.onCommit((revision, changes) => {
      this.lastChanges = { revision, changes };
      this.committed.push({ revision, events: changes.map(toCommittedEvent) });
    });
  }

  /** The store's revision as far as any member has applied. */
  get revision(): number {
    return this.machine.kv.revision;
  }

  get compactRevision(): number {
    return this.machine.kv.compactRevision;
  }

  /** The highest log index applied anywhere. */
  get index(): number {
    return this.appliedIndex;
  }

  /** Whether the lease exists in the committed state now (granted, not yet revoked). */
  leaseExists(id: bigint): boolean {
    return this.machine.kv.leaseInfo(id) !== null;
  }

  /** A member applied `entry` (wire it to every member's RaftNodeObserver.applied). */
  applied(entry: Entry): void {
    const index = entry.index as number;
    if (index <= this.appliedIndex) return;
    if (index !== this.appliedIndex + 1) {
      this.report(`the first member to apply index ${index} had not applied ${this.appliedIndex + 1} anywhere before`);
    }
    this.appliedIndex = index;
    if (entry.kind !== 'normal') return;
    this.lastChanges = null;
    const result = this.machine.apply(entry);
    if (result.key !== null && !result.duplicate && !this.appliedRequests.has(result.key)) this.appliedRequests.set(result.key, this.nowMs());
    const made = this.lastChanges as { revision: number; changes: readonly Change[] } | null;
    if (!result.outcome.ok || (result.outcome.value as KvResponse | null)?.type !== 'lease-revoke') return;
    const decoded = decodeCoreEntry(entry.data);
    if (decoded.command.type !== 'kv' || decoded.command.command.type !== 'lease-revoke') return;
    const leaseId = decoded.command.command.request.id;
    if (decoded.requestId === null) this.leaseExpired(leaseId, entry.term);
    if (made !== null) this.revocations.push({ revision: made.revision, leaseId, keys: made.changes.map((change) => change.key), atMs: this.nowMs() });
  }
}

function toCommittedEvent(change: Change): CommittedEvent {
  const value = change.entry.value;
  return value === null ? { type: 'delete', key: change.key } : { type: 'put', key: change.key, value };
}

/** The committed store at a revision, replayed from the ledger's history (for reads that must match some committed state). */
export class CommittedReplay {
  private readonly keys = new Map<string, CheckKeyValue>();
  private position = 0;
  private revisionValue = 0;

  constructor(private readonly history: readonly CommittedRevision[]) {}

  get revision(): number {
    return this.revisionValue;
  }

  /** Moves forward to `revision` (never back). */
  advanceTo(revision: number): void {
    while (this.position < this.history.length && this.history[this.position]!.revision <= revision) {
      const { revision: at, events } = this.history[this.position++]!;
      for (const event of events) {
        const previous = this.keys.get(event.key);
        if (event.type === 'delete') this.keys.delete(event.key);
        else this.keys.set(event.key, { key: event.key, value: event.value!, createRevision: previous?.createRevision ?? at, modRevision: at, version: (previous?.version ?? 0) + 1 });
      }
    }
    this.revisionValue = revision;
  }

  /** The live keys in [key, rangeEnd) ('\0': everything from key; absent: the key alone), in key order. */
  range(key: string, rangeEnd: string | undefined): CheckKeyValue[] {
    if (rangeEnd === undefined) {
      const kv = this.keys.get(key);
      return kv === undefined ? [] : [kv];
    }
    return [...this.keys.values()].filter((kv) => kv.key >= key && (rangeEnd === '\0' || kv.key < rangeEnd)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
