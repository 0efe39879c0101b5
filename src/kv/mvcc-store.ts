// The MVCC store: the book's Versioned Value over an ordered index, with
// etcd 3.4's revision rules. One cluster-wide revision counts write
// transactions; a transaction that changes nothing leaves it alone. Inside a
// transaction each change gets the next sub-revision. Every public method is
// synchronous and deterministic; failures are thrown as KvError before any
// state changes (the state machine turns them into results).

import { assert, fail } from '../assert.js';
import { CowBTree, type OrderedView } from './cow-btree.js';
import { KvError } from './errors.js';
import { bytesToKey, keySpan, keyToBytes, type KeySpan, type KeyString } from './key-bytes.js';
import { compactHistory, entryCostBytes, heldChangeIn, liveAt, noLease, toKeyValue, type History, type Version } from './key-history.js';
import { LeaseTable } from './lease-table.js';
import { defaultKvLimits, entryOverheadBytes, leaseOverheadBytes, type KvLimits } from './limits.js';
import { needsEveryKey, shapeRange, type Found } from './range-query.js';
import { checkDeleteRange, checkPut, checkRange, checkTxn, isReadOnlyTxn, txnPutCostBytes } from './request-checks.js';
import { RevisionLog, RevisionLogBuilder } from './revision-log.js';
import { planTxn, type TxnPlan } from './txn-plan.js';
import type {
  CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, LeaseGrantRequest, LeaseGrantResponse, LeaseInfo,
  LeaseRevokeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, ResponseOp, TxnRequest, TxnResponse,
} from './types.js';

export type { Change } from './key-history.js';
import type { Change } from './key-history.js';

export type CommitListener = (revision: number, changes: readonly Change[]) => void;

/** The whole replicated state at one revision, as a snapshot carries it. */
export interface StoreState {
  readonly revision: number;
  readonly compactRevision: number;
  readonly keys: OrderedView<History>;
  readonly leases: readonly { readonly id: bigint; readonly ttlSeconds: number }[];
}

export class MvccStore {
  private tree = new CowBTree<History>();
  private currentRev = 1; // etcd starts at 1, so the first write is revision 2
  private compactRev = 0;
  private revisionLog = new RevisionLog();
  /** Keys that may hold history a compaction can drop: several entries, or a tombstone. */
  private readonly dirty = new Set<KeyString>();
  private readonly leaseTable = new LeaseTable();
  private usedBytesEstimate = 0;
  /** Changes of the open write transaction; null when none is open. */
  private changes: Change[] | null = null;
  private readonly listeners: CommitListener[] = [];
  readonly limits: KvLimits;

  constructor(limits: Partial<KvLimits> = {}) {
    this.limits = { ...defaultKvLimits, ...limits };
    this.revisionLog.append(this.currentRev, []);
  }

  get revision(): number {
    return this.currentRev;
  }

  get compactRevision(): number {
    return this.compactRev;
  }

  get usedBytes(): number {
    return this.usedBytesEstimate;
  }

  get keyCount(): number {
    return this.tree.size;
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  range(request: RangeRequest): RangeResponse {
    checkRange(request);
    return this.rangeIn(request);
  }

  put(request: PutRequest): PutResponse {
    checkPut(request);
    this.checkQuota(putCostBytes(request));
    return this.write(() => {
      // One lookup serves the check and the write: on a large store each costs a walk of cache misses.
      const key = bytesToKey(request.key);
      const history = this.tree.get(key);
      this.checkPutAgainstState(request, history);
      return this.putIn(request, key, history);
    });
  }

  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse {
    checkDeleteRange(request);
    return this.write(() => this.deleteRangeIn(request));
  }

  txn(request: TxnRequest): TxnResponse {
    checkTxn(request, this.limits.maxTxnOps);
    this.checkQuota(txnPutCostBytes(request, putCostBytes));
    // Like etcd, every compare (nested ones too) is decided against the state
    // before the transaction writes anything.
    const plan = planTxn(request, (compare) => this.liveInSpan(keySpan(compare.key, compare.rangeEnd), this.currentRev));
    if (isReadOnlyTxn(request)) {
      this.checkPlan(request, plan, false);
      return { ...this.executeTxn(request, plan), revision: this.currentRev };
    }
    this.checkPlan(request, plan, true);
    return this.write(() => ({ ...this.executeTxn(request, plan), revision: this.viewRevision() }));
  }

  compact(revision: number): CompactionResponse {
    assert(this.changes === null, 'compact outside a write transaction');
    if (revision <= this.compactRev) throw new KvError('compacted', `at ${revision}, already compacted at ${this.compactRev}`);
    if (revision > this.currentRev) throw new KvError('future-revision', `at ${revision}, current ${this.currentRev}`);
    this.compactRev = revision;
    for (const key of this.dirty) {
      const history = this.tree.get(key);
      if (history === undefined) fail(`dirty key ${JSON.stringify(key)} must exist`);
      const kept = compactHistory(history, revision);
      if (kept.length === history.length) continue;
      for (let i = 0; i < history.length - kept.length; i++) this.usedBytesEstimate -= entryCostBytes(key, history[i]!);
      // A new array, never a splice: snapshots may still hold the old one.
      if (kept.length === 0) this.tree.delete(key);
      else this.tree.set(key, kept);
      if (kept.length === 0 || (kept.length === 1 && kept[0]!.value !== null)) this.dirty.delete(key);
    }
    this.revisionLog.releaseBelow(revision);
    return { revision: this.currentRev };
  }

  leaseGrant(request: LeaseGrantRequest, logIndex: number): LeaseGrantResponse {
    this.checkQuota(leaseOverheadBytes);
    if (request.ttlSeconds > this.limits.maxLeaseTtlSeconds) throw new KvError('lease-ttl-too-large');
    const id = request.id === 0n ? this.leaseTable.generateId(logIndex) : request.id;
    if (this.leaseTable.has(id)) throw new KvError('lease-exists', `lease ${id}`);
    const ttlSeconds = Math.max(request.ttlSeconds, this.limits.minLeaseTtlSeconds);
    this.leaseTable.grant(id, ttlSeconds);
    this.usedBytesEstimate += leaseOverheadBytes;
    return { revision: this.currentRev, id, ttlSeconds };
  }

  /** Deletes every attached key in one revision, then forgets the lease. */
  leaseRevoke(id: bigint): LeaseRevokeResponse {
    const lease = this.leaseTable.get(id);
    if (lease === undefined) throw new KvError('lease-not-found', `lease ${id}`);
    const keys = [...lease.keys].sort();
    this.write(() => {
      for (const key of keys) {
        const history = this.tree.get(key);
        const live = liveAt(history, Infinity);
        if (!(history !== undefined && live !== null && live.lease === id)) fail(`lease ${id} holds key ${JSON.stringify(key)}`);
        this.writeEntry(key, history, live, null, noLease);
      }
    });
    this.leaseTable.remove(id);
    this.usedBytesEstimate -= leaseOverheadBytes;
    return { revision: this.currentRev };
  }

  leaseInfo(id: bigint): LeaseInfo | null {
    const lease = this.leaseTable.get(id);
    if (lease === undefined) return null;
    return { id, grantedTtlSeconds: lease.ttlSeconds, keys: [...lease.keys].sort().map(keyToBytes) };
  }

  leases(): { id: bigint; ttlSeconds: number }[] {
    return this.leaseTable.list().map((lease) => ({ id: lease.id, ttlSeconds: lease.ttlSeconds }));
  }

  /** The changes committed at revision, in sub-revision order; null once compacted or not yet written. */
  changesAt(revision: number): Change[] | null {
    if (revision < this.compactRev || revision > this.currentRev) return null;
    const keys = this.revisionLog.keysAt(revision);
    if (keys === null) return null;
    // Above the compaction revision every change is held. At it, a key keeps
    // only its last change of that revision (a txn that put pune and then
    // deleted it keeps the delete; compactHistory), so only what is held is
    // replayed, as etcd replays what its compaction kept.
    const atCompaction = revision === this.compactRev;
    const changes: Change[] = [];
    for (let sub = 0; sub < keys.length; sub++) {
      const key = keys[sub];
      const history = key === undefined ? undefined : this.tree.get(key);
      const change = key === undefined || history === undefined ? null : heldChangeIn(key, history, revision, sub);
      if (change !== null) changes.push(change);
      else if (!atCompaction) fail(`the change at ${revision}.${sub} (key ${JSON.stringify(key)}) is not held above the compaction at ${this.compactRev}`);
    }
    return changes;
  }

  /** The key's retained history (for tests and the hash). */
  historyOf(key: Uint8Array): readonly Version[] {
    return this.tree.get(bytesToKey(key)) ?? [];
  }

  /** Every key's retained history in key order; do not write while iterating. */
  histories(): Generator<[KeyString, History]> {
    return this.tree.entries();
  }

  /** O(1): freezes the index; writes may continue while the state is serialised. */
  freeze(): StoreState {
    assert(this.changes === null, 'freeze outside a write transaction');
    return { revision: this.currentRev, compactRevision: this.compactRev, keys: this.tree.freeze(), leases: this.leases() };
  }

  /**
   * Rebuilds a store from a state. `feed` hands every key's history to `add`
   * in strictly ascending key order (a snapshot decoder reads them straight
   * off the bytes, so nothing per key is allocated beyond what the store keeps).
   */
  static fromState(limits: Partial<KvLimits>, state: {
    revision: number; compactRevision: number; leases: readonly { id: bigint; ttlSeconds: number }[];
    feed: (add: (key: KeyString, history: History) => void) => void;
  }): MvccStore {
    const store = new MvccStore(limits);
    store.currentRev = state.revision;
    store.compactRev = state.compactRevision;
    for (const lease of state.leases) {
      store.leaseTable.grant(lease.id, lease.ttlSeconds);
      store.usedBytesEstimate += leaseOverheadBytes;
    }
    const logStart = Math.max(state.compactRevision, 1);
    const log = new RevisionLogBuilder(logStart, state.revision, state.compactRevision === logStart);
    const tree = CowBTree.builder<History>();
    state.feed((key, history) => {
      if (!(history.length > 0)) fail(`restored key ${JSON.stringify(key)} has history`);
      for (const entry of history) {
        assert(entry.rev <= state.revision, 'restored entry is not from the future');
        store.usedBytesEstimate += entryCostBytes(key, entry);
        if (entry.rev >= logStart) log.place(entry.rev, entry.sub, key);
      }
      const last = history[history.length - 1]!;
      if (history.length > 1 || last.value === null) store.dirty.add(key);
      if (last.value !== null && last.lease !== noLease) store.leaseTable.attach(last.lease, key);
      tree.add(key, history);
    });
    store.tree = tree.build();
    store.revisionLog = log.build();
    return store;
  }

  // --- reads -----------------------------------------------------------------

  /** The revision reads see: inside a write transaction that already changed something, its own. */
  private viewRevision(): number {
    return this.changes !== null && this.changes.length > 0 ? this.currentRev + 1 : this.currentRev;
  }

  private visitLive(span: KeySpan, rev: number, visit: (key: KeyString, entry: Version, history: History) => void): void {
    if (span.single) {
      const history = this.tree.get(span.low);
      const entry = liveAt(history, rev);
      if (entry !== null) visit(span.low, entry, history!);
      return;
    }
    if (span.high !== null && span.high <= span.low) return;
    this.tree.forEachInRange(span.low, span.high, (key, history) => {
      const entry = liveAt(history, rev);
      if (entry !== null) visit(key, entry, history);
      return true;
    });
  }

  private liveInSpan(span: KeySpan, rev: number): Found[] {
    const found: Found[] = [];
    this.visitLive(span, rev, (key, entry) => found.push([key, entry]));
    return found;
  }

  private checkReadRevision(requested: number, current: number): number {
    if (requested > current) throw new KvError('future-revision', `at ${requested}, current ${current}`);
    const rev = requested <= 0 ? current : requested;
    if (rev < this.compactRev) throw new KvError('compacted', `at ${rev}, compacted at ${this.compactRev}`);
    return rev;
  }

  private rangeIn(request: RangeRequest): RangeResponse {
    const current = this.viewRevision();
    const rev = this.checkReadRevision(request.revision ?? 0, current);
    const span = keySpan(request.key, request.rangeEnd);
    const limit = request.limit ?? 0;
    const gather = needsEveryKey(request) || limit <= 0 ? Infinity : limit + 1;
    let count = 0;
    const found: Found[] = [];
    this.visitLive(span, rev, (key, entry) => {
      count++;
      if (request.countOnly !== true && found.length < gather) found.push([key, entry]);
    });
    if (request.countOnly === true) return { revision: current, kvs: [], more: false, count };
    const shaped = shapeRange(request, found);
    const keysOnly = request.keysOnly === true;
    return { revision: current, kvs: shaped.kvs.map(([key, entry]) => toKeyValue(key, entry, keysOnly)), more: shaped.more, count };
  }

  // --- writes ----------------------------------------------------------------

  private checkQuota(costBytes: number): void {
    if (costBytes > 0 && this.usedBytesEstimate + costBytes > this.limits.quotaBytes) {
      throw new KvError('no-space', `${this.usedBytesEstimate} + ${costBytes} > quota ${this.limits.quotaBytes} bytes: compact and retry`);
    }
  }

  /** Runs body as one write transaction: one new revision if it changed anything. */
  private write<T>(body: () => T): T {
    assert(this.changes === null, 'write transactions do not nest');
    this.changes = [];
    let result: T;
    try {
      result = body();
    } catch (error) {
      assert(this.changes.length === 0, 'a write transaction failed after it changed state');
      this.changes = null;
      throw error;
    }
    const changes = this.changes;
    this.changes = null;
    if (changes.length > 0) {
      this.currentRev++;
      this.revisionLog.append(this.currentRev, changes.map((change) => change.key));
      for (const listener of this.listeners) listener(this.currentRev, changes);
    }
    return result;
  }

  private checkPutAgainstState(request: PutRequest, history = this.tree.get(bytesToKey(request.key))): void {
    const live = liveAt(history, this.currentRev);
    if ((request.ignoreValue === true || request.ignoreLease === true) && live === null) throw new KvError('key-not-found');
    const lease = request.ignoreLease === true ? live!.lease : (request.lease ?? noLease);
    if (lease !== noLease && !this.leaseTable.has(lease)) throw new KvError('lease-not-found', `lease ${lease}`);
  }

  private putIn(request: PutRequest, key = bytesToKey(request.key), history = this.tree.get(key)): PutResponse {
    const live = liveAt(history, Infinity);
    const value = request.ignoreValue === true ? live!.value : bytesToKey(request.value);
    const lease = request.ignoreLease === true ? live!.lease : (request.lease ?? noLease);
    this.writeEntry(key, history, live, value, lease);
    return { revision: this.currentRev + 1, prevKv: request.prevKv === true && live !== null ? toKeyValue(key, live) : null };
  }

  private deleteRangeIn(request: DeleteRangeRequest): DeleteRangeResponse {
    const doomed: [KeyString, Version, History][] = [];
    this.visitLive(keySpan(request.key, request.rangeEnd), Infinity, (key, entry, history) => doomed.push([key, entry, history]));
    for (const [key, live, history] of doomed) this.writeEntry(key, history, live, null, noLease);
    const prevKvs = request.prevKv === true ? doomed.map(([key, live]) => toKeyValue(key, live)) : [];
    return { revision: this.viewRevision(), deleted: doomed.length, prevKvs };
  }

  /** Appends a put (value) or tombstone (null) for key to the open transaction. */
  private writeEntry(key: KeyString, history: History | undefined, live: Version | null, value: string | null, lease: bigint): void {
    const changes = this.changes;
    assert(changes !== null, 'writes happen inside a write transaction');
    const rev = this.currentRev + 1;
    const sub = changes.length;
    const entry: Version =
      value === null
        ? { rev, sub, createRev: 0, version: 0, lease: noLease, value: null }
        // Most keys have no lease: they all share the one 0n rather than each holding its own.
        : { rev, sub, createRev: live?.createRev ?? rev, version: (live?.version ?? 0) + 1, lease: lease === noLease ? noLease : lease, value };
    if (history === undefined) this.tree.set(key, [entry]);
    else {
      history.push(entry);
      this.dirty.add(key);
    }
    if (value === null) this.dirty.add(key);
    this.usedBytesEstimate += entryCostBytes(key, entry);
    if (live !== null && live.lease !== noLease && live.lease !== entry.lease) this.leaseTable.detach(live.lease, key);
    if (entry.lease !== noLease) this.leaseTable.attach(entry.lease, key);
    changes.push({ key, entry, previous: live });
  }

  private checkPlan(request: TxnRequest, plan: TxnPlan, isWrite: boolean): void {
    let nested = 0;
    for (const op of plan.succeeded ? request.success : request.failure) {
      if (op.type === 'put' && isWrite) this.checkPutAgainstState(op.request);
      if (op.type === 'range') this.checkReadRevision(op.request.revision ?? 0, this.currentRev);
      if (op.type === 'txn') this.checkPlan(op.request, plan.nested[nested++]!, isWrite);
    }
  }

  private executeTxn(request: TxnRequest, plan: TxnPlan): Omit<TxnResponse, 'revision'> {
    let nested = 0;
    const responses: ResponseOp[] = [];
    for (const op of plan.succeeded ? request.success : request.failure) {
      switch (op.type) {
        case 'range':
          responses.push({ type: 'range', response: this.rangeIn(op.request) });
          break;
        case 'put':
          responses.push({ type: 'put', response: this.putIn(op.request) });
          break;
        case 'delete-range':
          responses.push({ type: 'delete-range', response: this.deleteRangeIn(op.request) });
          break;
        case 'txn': {
          const inner = this.executeTxn(op.request, plan.nested[nested++]!);
          responses.push({ type: 'txn', response: { ...inner, revision: this.viewRevision() } });
          break;
        }
      }
    }
    return { succeeded: plan.succeeded, responses };
  }
}

export function putCostBytes(request: PutRequest): number {
  return entryOverheadBytes + request.key.length + request.value.length;
}
