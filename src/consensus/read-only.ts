// ReadIndex (Raft dissertation §6.4), the linearizable read behind the book's
// Follower Reads. A leader may serve a read at its commit index only once it
// knows it is still the leader: a heartbeat round that starts after the read
// arrived and that a majority answers proves no newer leader had been elected
// by then. One round at a time is in flight; reads arriving meanwhile wait
// and share the next round, so a burst of reads costs one heartbeat round.
//
// Heartbeats carry the context (round number) of the newest round; any
// answer with a context at or above a round's number acknowledges it.

import { assert, fail } from '../assert.js';
import type { LogIndex, NodeId } from '../ids.js';

export interface ReadRequest {
  readonly requestId: string;
  /** Who asked: the leader itself, or a follower that forwarded the read. */
  readonly from: NodeId;
  /** The leader's commit index when the read arrived. */
  readonly index: LogIndex;
}

interface Round {
  readonly context: number;
  readonly requests: ReadRequest[];
  readonly acks: Set<NodeId>;
}

export class ReadIndexBatcher {
  private nextContext = 1;
  private round: Round | null = null;
  private waiting: ReadRequest[] = [];
  /** Reads that arrived before this leader committed an entry of its own term: its commit index may still lag. */
  private deferred: { readonly requestId: string; readonly from: NodeId }[] = [];

  constructor(private readonly maxPendingReads: number) {
    if (!(maxPendingReads >= 1)) fail(`maxPendingReads must be at least 1, got ${maxPendingReads}`);
  }

  pendingCount(): number {
    return (this.round?.requests.length ?? 0) + this.waiting.length + this.deferred.length;
  }

  isFull(): boolean {
    return this.pendingCount() >= this.maxPendingReads;
  }

  defer(requestId: string, from: NodeId): void {
    assert(!this.isFull(), 'read queue overflow');
    this.deferred.push({ requestId, from });
  }

  /** The leader committed its first entry: deferred reads get the commit index now. */
  takeDeferred(): { readonly requestId: string; readonly from: NodeId }[] {
    const taken = this.deferred;
    this.deferred = [];
    return taken;
  }

  /** Queues a read. Returns the context of a new round to broadcast, or 0 when it waits for the round in flight. */
  add(request: ReadRequest): number {
    assert(this.pendingCount() < this.maxPendingReads, 'read queue overflow');
    this.waiting.push(request);
    return this.round === null ? this.startRound() : 0;
  }

  /** Context to put in heartbeats: the round in flight, or 0. */
  currentContext(): number {
    return this.round?.context ?? 0;
  }

  /** Records a peer's answer; true when it acknowledges the round in flight. */
  acknowledge(from: NodeId, context: number): boolean {
    if (this.round === null || context < this.round.context) return false;
    this.round.acks.add(from);
    return true;
  }

  hasAcknowledged(node: NodeId): boolean {
    return this.round?.acks.has(node) ?? false;
  }

  /** The round in flight was confirmed by a quorum: its reads are ready. Starts the next round if reads wait. */
  completeRound(): { readonly ready: ReadRequest[]; readonly nextContext: number } {
    assert(this.round !== null, 'completing a read round that was never started');
    const ready = this.round.requests;
    this.round = null;
    const nextContext = this.waiting.length > 0 ? this.startRound() : 0;
    return { ready, nextContext };
  }

  /** Leadership was lost: the reads cannot be confirmed, their deadlines will fail them. */
  reset(): void {
    this.round = null;
    this.waiting = [];
    this.deferred = [];
  }

  private startRound(): number {
    const context = this.nextContext++;
    this.round = { context, requests: this.waiting, acks: new Set() };
    this.waiting = [];
    return context;
  }
}
