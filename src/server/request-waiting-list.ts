// Request Waiting List: a client's request waits here, keyed by where its
// answer will come from, until that answer is known. A proposal waits for the
// entry at its (index, term) to apply; a linearizable read waits first for
// its read index and then for the state machine to reach it. Every waiter
// also has a deadline, and all of them fail cleanly when leadership is lost
// or the node stops, so no client ever waits forever or is told a false
// success. The list is bounded: the node refuses new requests when it is full.

import { assert, fail } from '../assert.js';
import type { LogIndex, NodeId, Term } from '../ids.js';
import type { Placement } from '../consensus/types.js';
import {
  type ClientError,
  type Completion,
  deadlineExceeded,
  leaderChangedBeforeRead,
  leaderChangedOverwritten,
  leaderChangedUnknown,
} from './client-errors.js';

interface ProposalWaiter<R> {
  readonly index: LogIndex;
  readonly term: Term;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  readonly done: Completion<R>;
}

/**
 * A proposal that waits by its request key rather than by log index: it may
 * have been forwarded to the leader, or be resent after a leader change, so
 * it is answered by whichever copy of its entry applies first here.
 */
export interface KeyedWaiter<R> {
  readonly key: string;
  readonly data: Uint8Array;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  readonly done: Completion<R>;
  /** Where and when it was last sent: the leader it went to (null: not yet sent), in which term. */
  sentTo: NodeId | null;
  sentTerm: Term;
  sentAtMs: number;
}

export interface ReadWaiter {
  readonly requestId: string;
  /** Null until the leader has confirmed the read index. */
  index: LogIndex | null;
  /** When the read index was last asked for; null while no leader could be asked. */
  askedAtMs: number | null;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  /** Runs the read against the state machine and answers the client. */
  readonly serve: () => void;
  readonly fail: (error: ClientError) => void;
}

export interface RequestWaitingListOptions {
  readonly maxPendingRequests: number;
}

export class RequestWaitingList<R> {
  private readonly proposals = new Map<LogIndex, ProposalWaiter<R>>();
  private readonly reads = new Map<string, ReadWaiter>();
  private readonly keyed = new Map<string, KeyedWaiter<R>>();

  constructor(private readonly options: RequestWaitingListOptions) {
    assert(options.maxPendingRequests > 0, 'maxPendingRequests must be positive');
  }

  get size(): number {
    return this.proposals.size + this.reads.size + this.keyed.size;
  }

  get isFull(): boolean {
    return this.size >= this.options.maxPendingRequests;
  }

  get pendingProposals(): number {
    return this.proposals.size;
  }

  get pendingReads(): number {
    return this.reads.size;
  }

  get pendingKeyed(): number {
    return this.keyed.size;
  }

  hasKey(key: string): boolean {
    return this.keyed.has(key);
  }

  waitForKey(key: string, data: Uint8Array, nowMs: number, timeoutMs: number, done: Completion<R>): KeyedWaiter<R> {
    assert(!this.isFull, 'waiting list is full: the node must refuse before adding');
    if (this.keyed.has(key)) fail(`a proposal with key ${key} is already waiting`);
    const waiter: KeyedWaiter<R> = { key, data, deadlineMs: nowMs + timeoutMs, timeoutMs, done, sentTo: null, sentTerm: 0 as Term, sentAtMs: nowMs };
    this.keyed.set(key, waiter);
    return waiter;
  }

  /** Keyed proposals still waiting, in the order they arrived. */
  keyedWaiters(): IterableIterator<KeyedWaiter<R>> {
    return this.keyed.values();
  }

  /** An entry answering request `key` applied here with `result`. */
  appliedKey(key: string, result: R): void {
    const waiter = this.keyed.get(key);
    if (waiter === undefined) return;
    this.keyed.delete(key);
    waiter.done({ ok: true, value: result });
  }

  waitForApply(placement: Placement, nowMs: number, timeoutMs: number, done: Completion<R>): void {
    assert(!this.isFull, 'waiting list is full: the node must refuse before adding');
    // Two live proposals at one index would mean the core placed two entries there in one term.
    const existing = this.proposals.get(placement.index);
    if (existing !== undefined) {
      assert(existing.term !== placement.term, 'two proposals placed at one index in one term');
      // An older term's proposal at this index can no longer apply: a newer leader (us) overwrote it.
      this.proposals.delete(placement.index);
      existing.done({ ok: false, error: leaderChangedOverwritten() });
    }
    this.proposals.set(placement.index, { index: placement.index, term: placement.term, deadlineMs: nowMs + timeoutMs, timeoutMs, done });
  }

  waitForRead(requestId: string, nowMs: number, timeoutMs: number, serve: () => void, fail: (error: ClientError) => void): void {
    assert(!this.isFull, 'waiting list is full: the node must refuse before adding');
    assert(!this.reads.has(requestId), 'a read with this request id is already waiting');
    this.reads.set(requestId, { requestId, index: null, askedAtMs: null, deadlineMs: nowMs + timeoutMs, timeoutMs, serve, fail });
  }

  /** Reads still waiting for their read index, to ask (again) when a leader is known. */
  *unconfirmedReads(): IterableIterator<ReadWaiter> {
    for (const waiter of this.reads.values()) if (waiter.index === null) yield waiter;
  }

  /** Fails one waiting read at once (e.g. the core refused it for good). */
  failRead(requestId: string, error: ClientError): void {
    const waiter = this.reads.get(requestId);
    if (waiter === undefined) return;
    this.reads.delete(requestId);
    waiter.fail(error);
  }

  /** The entry at `entry.index` was applied with `result`; answers the proposal waiting there, if any. */
  applied(index: LogIndex, entryTerm: Term, result: R): void {
    const waiter = this.proposals.get(index);
    if (waiter === undefined) return;
    this.proposals.delete(index);
    if (waiter.term === entryTerm) waiter.done({ ok: true, value: result });
    else waiter.done({ ok: false, error: leaderChangedOverwritten() });
  }

  /**
   * The state machine jumped to a snapshot at `index`: proposals at or below it
   * were either in the snapshot or overwritten, and the snapshot cannot say
   * which, nor give their results.
   */
  restoredTo(index: LogIndex): void {
    // A keyed proposal may be inside the snapshot: sent again, its duplicate answers with the first result.
    for (const waiter of this.keyed.values()) waiter.sentTo = null;
    for (const [waitingIndex, waiter] of this.proposals) {
      if (waitingIndex > index) continue;
      this.proposals.delete(waitingIndex);
      waiter.done({ ok: false, error: leaderChangedUnknown() });
    }
  }

  /** The leader confirmed a read index for `requestId`; serves the read now if the state machine is there. */
  readIndexKnown(requestId: string, index: LogIndex, appliedIndex: LogIndex): void {
    const waiter = this.reads.get(requestId);
    if (waiter === undefined) return;
    waiter.index = index;
    if (index <= appliedIndex) {
      this.reads.delete(requestId);
      waiter.serve();
    }
  }

  /** Serves every read whose read index the state machine has now reached. */
  appliedUpTo(appliedIndex: LogIndex): void {
    if (this.reads.size === 0) return;
    for (const [requestId, waiter] of this.reads) {
      if (waiter.index === null || waiter.index > appliedIndex) continue;
      this.reads.delete(requestId);
      waiter.serve();
    }
  }

  /**
   * This node stopped being leader (or its term moved on). Its proposals not
   * yet committed may still commit under the next leader, or not; reads still waiting for a read
   * index will never get one. Reads whose index is already confirmed stay: the
   * index remains a valid linearization point.
   */
  leadershipLost(committedIndex: LogIndex = 0 as LogIndex): void {
    const error = leaderChangedUnknown();
    for (const [index, waiter] of this.proposals) {
      // Committed already (e.g. the leader's own removal, after which it steps down): it will apply here, and answer then.
      if (index <= committedIndex) continue;
      this.proposals.delete(index);
      waiter.done({ ok: false, error });
    }
    const readError = leaderChangedBeforeRead();
    for (const [requestId, waiter] of this.reads) {
      if (waiter.index !== null) continue;
      this.reads.delete(requestId);
      waiter.fail(readError);
    }
  }

  /** Fails every request whose deadline has passed. */
  expire(nowMs: number): void {
    for (const [index, waiter] of this.proposals) {
      if (waiter.deadlineMs > nowMs) continue;
      this.proposals.delete(index);
      waiter.done({ ok: false, error: deadlineExceeded(waiter.timeoutMs, false) });
    }
    for (const [requestId, waiter] of this.reads) {
      if (waiter.deadlineMs > nowMs) continue;
      this.reads.delete(requestId);
      waiter.fail(deadlineExceeded(waiter.timeoutMs, true));
    }
    for (const [key, waiter] of this.keyed) {
      if (waiter.deadlineMs > nowMs) continue;
      this.keyed.delete(key);
      waiter.done({ ok: false, error: deadlineExceeded(waiter.timeoutMs, false) });
    }
  }

  /** Fails everything, e.g. when the node stops. */
  failAll(proposalError: ClientError, readError: ClientError): void {
    for (const waiter of this.proposals.values()) waiter.done({ ok: false, error: proposalError });
    this.proposals.clear();
    for (const waiter of this.reads.values()) waiter.fail(readError);
    this.reads.clear();
    for (const waiter of this.keyed.values()) waiter.done({ ok: false, error: proposalError });
    this.keyed.clear();
  }
}
