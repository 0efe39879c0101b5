// A Raft node: the pure core (src/consensus) wired to time, the network, a
// disk and a state machine. Every input goes through one Singular Update
// Queue; after each burst of inputs the node takes the core's Ready and
// carries it out in the order the contract demands (send, persist, send what
// needed persistence, apply, serve reads, advance). While a persist is in
// flight new proposals keep landing in the core, so the next Ready carries
// them all in one batch and one sync (Request Batch).
//
// Nothing that depends on a write is acknowledged before the write is
// durable; if a write fails the node stops (fail-stop) rather than carry on
// with a disk it can no longer trust.

import { InvariantViolation, assert } from '../assert.js';
import { type LogIndex, type NodeId, type Term, logIndex, term as toTerm } from '../ids.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { Transport } from '../runtime/transport.js';
import { applyChange, decodeConfigChange, emptyConfig } from '../consensus/config.js';
import { readWholeSnapshot } from '../consensus/snapshot-data.js';
import type { ClusterConfig, ConfigChange, Entry, RaftCoreApi, RaftStatus, Ready, RestoredState } from '../consensus/types.js';
import {
  type Completion,
  type Outcome,
  deadlineExceeded,
  overloaded,
  refusalError,
  refused,
  stopped,
} from './client-errors.js';
import type { RaftNodeObserver } from './raft-node-observer.js';
import type { RaftPersistence } from './raft-persistence.js';
import { type KeyedWaiter, type ReadWaiter, RequestWaitingList } from './request-waiting-list.js';
import { type QueueStatistics, SingularUpdateQueue, type SingularUpdateQueueOptions, defaultQueueOptions } from './singular-update-queue.js';
import type { StateMachine } from './state-machine.js';

export type { RaftNodeObserver } from './raft-node-observer.js';

export interface RaftNodeLimits {
  /** How often the core is ticked; its election and heartbeat timeouts count these. */
  readonly tickMs: number;
  /** A snapshot of the state machine is taken after this many entries applied since the last one. */
  readonly snapshotEntries: number;
  /** Proposals and reads waiting for an answer at once. */
  readonly maxPendingRequests: number;
  /** A keyed proposal forwarded to the leader and not applied after this long is sent again (the message may have been lost). */
  readonly forwardResendMs: number;
  readonly queue: SingularUpdateQueueOptions;
}

export const defaultRaftNodeLimits: RaftNodeLimits = {
  tickMs: 100,
  snapshotEntries: 10_000,
  maxPendingRequests: 1024,
  forwardResendMs: 1_000,
  queue: defaultQueueOptions,
};

export interface RaftNodeOptions<M, R, S extends StateMachine<R>> {
  readonly id: NodeId;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly transport: Transport<M>;
  readonly storage: RaftPersistence;
  readonly machine: S;
  /** Builds the core from what the disk held. */
  readonly createCore: (restored: RestoredState) => RaftCoreApi<M>;
  readonly limits?: Partial<RaftNodeLimits>;
  readonly observer?: RaftNodeObserver;
}

export interface RaftNodeStatus extends RaftStatus {
  /** What this node has applied to its state machine (the core's view may lag by one Ready). */
  readonly machineAppliedIndex: LogIndex;
  readonly snapshotIndex: LogIndex;
  readonly stoppedReason: string | null;
  readonly pendingRequests: number;
  /** Snapshots this node took of its own state machine, and snapshots from the leader it installed. */
  readonly snapshotsTaken: number;
  readonly snapshotsInstalled: number;
  /** Events handled, clients refused and peer messages dropped by the update queue since start. */
  readonly queue: QueueStatistics;
}

export interface RequestOptions {
  readonly timeoutMs: number;
}

interface TransferWaiter {
  readonly to: NodeId;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  readonly done: Completion<void>;
}

export class RaftNode<M, R, S extends StateMachine<R>> {
  readonly id: NodeId;
  private readonly limits: RaftNodeLimits;
  private readonly queue: SingularUpdateQueue;
  private readonly waiting: RequestWaitingList<R | undefined>;
  private core!: RaftCoreApi<M>;
  private tickTimer: TimerHandle | null = null;
  private persisting = false;
  private snapshotting = false;
  /**
   * snapshotEntries, plus up to a quarter more chosen by this node's id: the
   * members of a cluster apply the same entries at nearly the same moment, and
   * if all snapshotted at the same index, every one of them would be busy
   * encoding and writing at once, with no quorum left to commit meanwhile.
   */
  private readonly snapshotEveryEntries: number;
  private appliedIndex: LogIndex = logIndex(0);
  private appliedTerm: Term = toTerm(0);
  private appliedConfig: ClusterConfig;
  private snapshotIndex: LogIndex = logIndex(0);
  /** The term in which this node last saw itself leader, or null when it is not leader. */
  private leaderTerm: Term | null = null;
  private transfer: TransferWaiter | null = null;
  private followedLeader: NodeId | null = null;
  private followedTerm: Term = toTerm(0);
  private observedCommit: LogIndex = logIndex(0);
  private nextReadId = 1;
  /**
   * Read ids must not repeat across restarts: a read-index answer meant for
   * the previous process could otherwise serve a new read at an old index.
   */
  private readonly readIdPrefix: string;
  private stoppedReasonValue: string | null = null;
  private readonly stopListeners: ((reason: string) => void)[] = [];
  private fatalErrorValue: unknown = null;
  private snapshotsTaken = 0;
  private snapshotsInstalled = 0;

  private constructor(private readonly options: RaftNodeOptions<M, R, S>) {
    this.id = options.id;
    this.limits = { ...defaultRaftNodeLimits, ...options.limits };
    assert(this.limits.tickMs > 0 && this.limits.snapshotEntries > 0, 'tickMs and snapshotEntries must be positive');
    this.snapshotEveryEntries = staggeredSnapshotEntries(options.id, this.limits.snapshotEntries);
    this.readIdPrefix = `${options.id}:${Math.floor(options.clock.wallNowMs()).toString(36)}:`;
    // The config comes from the log (a fresh cluster's first entries) or a snapshot, never from outside.
    this.appliedConfig = emptyConfig;
    this.waiting = new RequestWaitingList({ maxPendingRequests: this.limits.maxPendingRequests });
    this.queue = new SingularUpdateQueue(
      this.limits.queue,
      () => this.onIdle(),
      (error) => this.failStop('a handler threw', error),
    );
  }

  /** Recovers from storage, builds the core and starts ticking and listening. */
  static async start<M, R, S extends StateMachine<R>>(options: RaftNodeOptions<M, R, S>): Promise<RaftNode<M, R, S>> {
    const node = new RaftNode(options);
    node.boot(await options.storage.recover());
    return node;
  }

  get machine(): S {
    return this.options.machine;
  }

  /** What made the node fail-stop (a disk error, or a broken invariant), or null. */
  get fatalError(): unknown {
    return this.fatalErrorValue;
  }

  get isStopped(): boolean {
    return this.stoppedReasonValue !== null;
  }

  /** The current Raft term: read for every answer's header, so without building status(). */
  get term(): Term {
    return this.core.currentTerm();
  }

  status(): RaftNodeStatus {
    return {
      ...this.core.status(),
      machineAppliedIndex: this.appliedIndex,
      snapshotIndex: this.snapshotIndex,
      stoppedReason: this.stoppedReasonValue,
      pendingRequests: this.waiting.size,
      snapshotsTaken: this.snapshotsTaken,
      snapshotsInstalled: this.snapshotsInstalled,
      queue: this.queue.statistics(),
    };
  }

  /** Proposes a command; `done` gets the state machine's result once it applied here, or a ClientError. */
  propose(data: Uint8Array, options: RequestOptions, done: Completion<R>): void {
    this.submit(done, () => {
      if (this.waiting.isFull) return done({ ok: false, error: overloaded('the request waiting list', this.limits.maxPendingRequests) });
      const placement = this.core.propose(data);
      if ('reason' in placement) return done({ ok: false, error: refusalError(placement) });
      this.noteLeadership();
      this.waiting.waitForApply(placement, this.nowMs(), options.timeoutMs, done as Completion<R | undefined>);
    });
  }

  /**
   * Proposes a command that identifies itself by `key`, from any member: the
   * leader proposes it, a follower forwards it to the leader. It waits by key
   * until an entry answering it applies here, and is sent again whenever the
   * leader changes (or a forward goes unanswered), so a leader change does
   * not fail it. The state machine must apply each key at most once (see
   * StateMachine.requestKey). Fails only at its deadline, or when the node stops.
   */
  proposeKeyed(key: string, data: Uint8Array, options: RequestOptions, done: Completion<R>): void {
    assert(this.options.machine.requestKey !== undefined, 'keyed proposals need a state machine that reports request keys');
    this.submit(done, () => {
      if (this.waiting.isFull) return done({ ok: false, error: overloaded('the request waiting list', this.limits.maxPendingRequests) });
      if (this.waiting.hasKey(key)) return done({ ok: false, error: refused(`request ${key} is already in flight on ${this.id}`) });
      const waiter = this.waiting.waitForKey(key, data, this.nowMs(), options.timeoutMs, done as Completion<R | undefined>);
      this.dispatchKeyed(waiter);
    });
  }

  /** A linearizable read (ReadIndex): `read` runs once this node has applied everything committed when the read arrived. */
  readLinearizable<T>(read: (machine: S) => T, options: RequestOptions, done: Completion<T>): void {
    this.submit(done, () => {
      if (this.waiting.isFull) return done({ ok: false, error: overloaded('the request waiting list', this.limits.maxPendingRequests) });
      const requestId = `${this.readIdPrefix}${this.nextReadId++}`;
      this.waiting.waitForRead(
        requestId,
        this.nowMs(),
        options.timeoutMs,
        () => done(this.runRead(read)),
        (error) => done({ ok: false, error }),
      );
      this.askReadIndex(requestId);
    });
  }

  /**
   * Asks the core for a read's index. While no leader is known (an election
   * is on) the read waits and is asked again on the next tick or leader
   * change, until its deadline, as etcd's linearizable reads wait out an
   * election rather than fail at once.
   */
  private askReadIndex(requestId: string, waiter?: ReadWaiter): void {
    const refusal = this.core.readIndex(requestId);
    const retryLater = refusal !== null && ((refusal.reason === 'not-leader' && refusal.leader === null) || refusal.reason === 'too-many-pending');
    if (refusal !== null && !retryLater) return this.waiting.failRead(requestId, refusalError(refusal));
    const asked = refusal === null ? this.nowMs() : null;
    if (waiter !== undefined) waiter.askedAtMs = asked;
    else for (const each of this.waiting.unconfirmedReads()) if (each.requestId === requestId) each.askedAtMs = asked;
  }

  /** Unconfirmed reads go to the leader again: never asked, asked of another leader, or (forwarded) unanswered for a while. */
  private reaskReads(nowMs: number, leaderChanged: boolean): void {
    if (this.waiting.pendingReads === 0) return;
    const leading = this.core.currentRole() === 'leader';
    for (const waiter of [...this.waiting.unconfirmedReads()]) {
      const stale = waiter.askedAtMs !== null && !leading && nowMs - waiter.askedAtMs >= this.limits.forwardResendMs;
      // A new leader (this node included: becoming leader starts with no rounds in flight) is asked again.
      if (waiter.askedAtMs === null || stale || leaderChanged) this.askReadIndex(waiter.requestId, waiter);
    }
  }

  /** A serializable read: this node's state as applied so far, possibly stale, never waiting for the leader. */
  readSerializable<T>(read: (machine: S) => T, done: Completion<T>): void {
    this.submit(done, () => done(this.runRead(read)));
  }

  addMember(node: NodeId, asLearner: boolean, options: RequestOptions, done: Completion<void>): void {
    this.changeMembership({ type: asLearner ? 'add-learner' : 'add-voter', node }, options, done);
  }

  promoteMember(node: NodeId, options: RequestOptions, done: Completion<void>): void {
    this.changeMembership({ type: 'promote-learner', node }, options, done);
  }

  removeMember(node: NodeId, options: RequestOptions, done: Completion<void>): void {
    this.changeMembership({ type: 'remove', node }, options, done);
  }

  changeMembership(change: ConfigChange, options: RequestOptions, done: Completion<void>): void {
    const finish: Completion<R | undefined> = (outcome) => done(outcome.ok ? { ok: true, value: undefined } : outcome);
    this.submit(done, () => {
      if (this.waiting.isFull) return done({ ok: false, error: overloaded('the request waiting list', this.limits.maxPendingRequests) });
      const placement = this.core.proposeConfigChange(change);
      if ('reason' in placement) return done({ ok: false, error: refusalError(placement) });
      this.noteLeadership();
      this.waiting.waitForApply(placement, this.nowMs(), options.timeoutMs, finish);
    });
  }

  /** Asks the leader to hand leadership to `to`; `done` succeeds once this node sees `to` lead. */
  transferLeadership(to: NodeId, options: RequestOptions, done: Completion<void>): void {
    this.submit(done, () => {
      if (this.transfer !== null) return done({ ok: false, error: refused(`a transfer to ${this.transfer.to} is already in progress`) });
      const refusal = this.core.transferLeadership(to);
      if (refusal !== null) return done({ ok: false, error: refusalError(refusal) });
      this.transfer = { to, deadlineMs: this.nowMs() + options.timeoutMs, timeoutMs: options.timeoutMs, done };
    });
  }

  /**
   * Runs a read against the state machine. Reads run inside the update queue,
   * where an exception would stop the node; a read that throws is the
   * caller's bug, so it fails that read alone and is logged.
   */
  private runRead<T>(read: (machine: S) => T): Outcome<T> {
    try {
      return { ok: true, value: read(this.options.machine) };
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.options.logger.error({ node: this.id, error: detail }, 'a read threw; it fails alone');
      return { ok: false, error: refused(`the read failed: ${detail}`) };
    }
  }

  /** Called once when the node stops, by request or fail-stop, with the reason. */
  onStop(listener: (reason: string) => void): void {
    this.stopListeners.push(listener);
  }

  /** Stops cleanly: pending requests fail, timers and transport close. Storage is closed by its owner. */
  stop(reason = 'stopped by request'): void {
    if (this.stoppedReasonValue !== null) return;
    this.stoppedReasonValue = reason;
    this.queue.close();
    if (this.tickTimer !== null) this.options.timers.cancel(this.tickTimer);
    this.tickTimer = null;
    this.options.transport.close();
    this.waiting.failAll(stopped(this.id, reason, false), stopped(this.id, reason, true));
    const transfer = this.transfer;
    this.transfer = null;
    transfer?.done({ ok: false, error: stopped(this.id, reason, false) });
    for (const listener of this.stopListeners) listener(reason);
  }

  private boot(restored: RestoredState): void {
    this.options.observer?.recovered?.(this.id, restored);
    if (restored.snapshot !== null) {
      assert(restored.snapshotData !== undefined, 'storage recovered snapshot metadata without its data');
      this.options.machine.restore(readWholeSnapshot(restored.snapshotData));
      this.appliedIndex = restored.snapshot.index;
      this.appliedTerm = restored.snapshot.term;
      this.appliedConfig = restored.snapshot.config;
      this.snapshotIndex = restored.snapshot.index;
    }
    this.core = this.options.createCore(restored);
    if (restored.snapshot !== null) {
      // The state machine has what it needs from the recovered bytes; followers are sent the snapshot from the storage.
      const stored = this.options.storage.storedSnapshot(restored.snapshot.index);
      if (stored !== null) this.core.snapshotStored(restored.snapshot.index, stored);
    }
    this.options.transport.onReceive((from, message) => {
      this.queue.offer('peer', () => this.core.step(from, message));
    });
    this.scheduleTick();
    // The restored state may already hold work (e.g. committed entries to apply again).
    this.queue.offer('internal', () => {});
  }

  private scheduleTick(): void {
    this.tickTimer = this.options.timers.schedule(this.limits.tickMs, () => {
      this.tickTimer = null;
      if (this.isStopped) return;
      this.queue.offer('internal', () => {
        this.core.tick();
        const nowMs = this.nowMs();
        this.waiting.expire(nowMs);
        this.expireTransfer(nowMs);
        this.resendKeyed(nowMs);
        this.reaskReads(nowMs, false);
      });
      this.scheduleTick();
    });
  }

  private submit<T>(done: Completion<T>, handler: () => void): void {
    if (this.stoppedReasonValue !== null) return done({ ok: false, error: stopped(this.id, this.stoppedReasonValue, true) });
    if (!this.queue.offer('client', handler)) {
      done({ ok: false, error: overloaded('the update queue', this.limits.queue.maxQueuedEvents) });
    }
  }

  // Runs in the queue's turn whenever the queue has emptied.
  private onIdle(): void {
    this.noteLeadership();
    while (!this.persisting && !this.isStopped && this.core.hasReady()) {
      const ready = this.core.takeReady();
      for (const outbound of ready.messages) this.options.transport.send(outbound.to, outbound.message);
      // Applying takes a while (clients answered, watchers told): the followers hear of the new entries and
      // the new commit index first, so they append and apply meanwhile rather than after.
      if (ready.committed.length > 0 && ready.messages.length > 0) this.options.transport.flush?.();
      // Committed entries are durable on a majority already, so they apply (and their clients hear back) while this
      // Ready's own writes are still on their way to the disk: one fsync per round trip, not two. A snapshot from the
      // leader is the exception: it must be durable before the state machine jumps to it.
      const appliedEarly = ready.snapshot === null;
      if (appliedEarly) this.applyReady(ready);
      if (ready.snapshot === null && ready.entries.length === 0 && ready.hardState === null) {
        this.finishReady(ready, appliedEarly);
        continue;
      }
      this.persisting = true;
      this.options.storage.persist(ready).then(
        () => this.queue.offer('internal', () => {
          this.persisting = false;
          this.options.observer?.persisted?.(this.id, ready);
          this.finishReady(ready, appliedEarly);
        }),
        (error: unknown) => this.failStop('a disk write or sync failed', error),
      );
    }
    this.noteLeadership();
  }

  private finishReady(ready: Ready<M>, applied: boolean): void {
    for (const outbound of ready.messagesAfterPersist) this.options.transport.send(outbound.to, outbound.message);
    if (!applied) this.applyReady(ready);
    if (ready.snapshot !== null) {
      // The snapshot from the leader is on disk now: followers of ours are sent it from there, and the copy in memory goes.
      const stored = this.options.storage.storedSnapshot(ready.snapshot.meta.index);
      if (stored !== null) this.core.snapshotStored(ready.snapshot.meta.index, stored);
    }
    this.core.advance(ready);
    this.maybeTakeSnapshot();
  }

  /** Restores the snapshot (if any), applies the committed entries and serves the reads that are now ready. */
  private applyReady(ready: Ready<M>): void {
    if (ready.snapshot !== null && ready.snapshot.meta.index > this.appliedIndex) {
      const meta = ready.snapshot.meta;
      this.options.machine.restore(readWholeSnapshot(ready.snapshot.data));
      this.appliedIndex = meta.index;
      this.appliedTerm = meta.term;
      this.appliedConfig = meta.config;
      this.snapshotIndex = meta.index;
      this.snapshotsInstalled++;
      this.waiting.restoredTo(meta.index);
    }
    for (const entry of ready.committed) this.apply(entry);
    for (const readState of ready.readStates) this.waiting.readIndexKnown(readState.requestId, readState.index, this.appliedIndex);
    this.waiting.appliedUpTo(this.appliedIndex);
  }

  private apply(entry: Entry): void {
    // A snapshot installed in this Ready already covers the entries at or below it.
    if (entry.index <= this.appliedIndex) return;
    if (entry.index !== this.appliedIndex + 1) {
      throw new InvariantViolation(`applying entry ${entry.index} after ${this.appliedIndex}: committed entries must be contiguous`);
    }
    let result: R | undefined;
    const machine = this.options.machine;
    if (entry.kind === 'normal') {
      result = machine.apply(entry);
    } else if (entry.kind === 'config') {
      const change = decodeConfigChange(entry.data);
      this.appliedConfig = applyChange(this.appliedConfig, change);
      machine.applyConfig?.(entry, change, this.appliedConfig);
    }
    this.appliedIndex = entry.index;
    this.appliedTerm = entry.term;
    this.options.observer?.applied?.(this.id, entry);
    this.waiting.applied(entry.index, entry.term, result);
    if (result !== undefined && this.waiting.pendingKeyed > 0) {
      const key = machine.requestKey!(result);
      if (key !== null) this.waiting.appliedKey(key, result);
    }
  }

  private maybeTakeSnapshot(): void {
    if (this.snapshotting || this.appliedIndex - this.snapshotIndex < this.snapshotEveryEntries) return;
    const meta = { index: this.appliedIndex, term: this.appliedTerm, config: this.appliedConfig };
    this.snapshotting = true;
    const machine = this.options.machine;
    // A big state takes long to encode: the storage asks for one piece at a
    // time and writes it before asking for the next, so requests keep being
    // served meanwhile (the state was frozen just now) and the whole encoded
    // state is never in memory at once.
    const state = machine.snapshotChunks === undefined ? [machine.snapshot()] : this.untilStopped(machine.snapshotChunks());
    this.options.storage.saveSnapshot(meta, state).then(
      (data) => this.queue.offer('internal', () => {
        this.snapshotting = false;
        // A newer snapshot from the leader may have been installed meanwhile; ours is then obsolete.
        if (data === null || meta.index <= this.snapshotIndex) return;
        this.snapshotIndex = meta.index;
        this.snapshotsTaken++;
        this.options.observer?.snapshotTaken?.(this.id, meta.index);
        this.core.snapshotTaken(meta.index, data);
      }),
      (error: unknown) => this.failStop('writing a snapshot failed', error),
    );
  }

  /** The machine's snapshot pieces, ending the write with an error if this node stops meanwhile (nothing half-written is kept). */
  private *untilStopped(pieces: Iterator<Uint8Array>): Generator<Uint8Array> {
    for (;;) {
      if (this.stoppedReasonValue !== null) throw new Error(`node ${this.id} stopped while writing a snapshot`);
      const next = pieces.next();
      if (next.done === true) return;
      yield next.value;
    }
  }

  // Proposals wait only while this node leads in the term they were placed in;
  // after that their fate is decided elsewhere and this node cannot report it.
  private noteLeadership(): void {
    // Read field by field: this runs after every event, and status() builds an object.
    const core = this.core;
    const role = core.currentRole();
    const term = core.currentTerm();
    const leader = core.currentLeader();
    const commitIndex = core.currentCommitIndex();
    const leadingNow = role === 'leader';
    if (this.leaderTerm !== null && (!leadingNow || term !== this.leaderTerm)) this.waiting.leadershipLost(commitIndex);
    if (leadingNow && this.leaderTerm !== term) this.options.observer?.leading?.(this.id, term, commitIndex);
    else if (leadingNow && commitIndex > this.observedCommit) this.options.observer?.committing?.(this.id, term, commitIndex);
    this.observedCommit = commitIndex;
    this.leaderTerm = leadingNow ? term : null;
    if (leader !== null && (leader !== this.followedLeader || term !== this.followedTerm)) {
      this.followedLeader = leader;
      this.followedTerm = term;
      this.options.observer?.following?.(this.id, leader, term);
      this.reaskReads(this.nowMs(), true);
      // Keyed proposals sent to an earlier leader go to this one (duplicates apply once).
      if (this.waiting.pendingKeyed > 0) {
        for (const waiter of this.waiting.keyedWaiters()) {
          if (waiter.sentTo !== leader || waiter.sentTerm !== term) this.dispatchKeyed(waiter);
        }
      }
    }
    const transfer = this.transfer;
    if (transfer !== null && leader === transfer.to) {
      this.transfer = null;
      transfer.done({ ok: true, value: undefined });
    }
  }

  /** Sends a keyed proposal to the leader: proposes it here when this node leads, forwards it otherwise. */
  private dispatchKeyed(waiter: KeyedWaiter<R | undefined>): void {
    const leader = this.core.currentLeader();
    if (leader === null) return;
    if (this.core.currentRole() === 'leader') {
      // Refused only while a transfer or a full log holds proposals back: the next tick tries again.
      if ('reason' in this.core.propose(waiter.data)) return;
    } else if (this.core.forward(waiter.data) !== null) {
      return;
    }
    waiter.sentTo = leader;
    waiter.sentTerm = this.core.currentTerm();
    waiter.sentAtMs = this.nowMs();
  }

  private resendKeyed(nowMs: number): void {
    if (this.waiting.pendingKeyed === 0) return;
    for (const waiter of this.waiting.keyedWaiters()) {
      const unsent = waiter.sentTo === null;
      const forwardLost = waiter.sentTo !== this.id && nowMs - waiter.sentAtMs >= this.limits.forwardResendMs;
      if (unsent || forwardLost) this.dispatchKeyed(waiter);
    }
  }

  private expireTransfer(nowMs: number): void {
    const transfer = this.transfer;
    if (transfer === null || transfer.deadlineMs > nowMs) return;
    this.transfer = null;
    transfer.done({ ok: false, error: deadlineExceeded(transfer.timeoutMs, false) });
  }

  private failStop(what: string, error: unknown): void {
    if (this.isStopped) return;
    this.fatalErrorValue = error;
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // The stack goes to the log too: a handler that throws is a bug to be found from this one line.
    const stack = error instanceof Error ? (error.stack ?? '').split('\n').slice(1, 12).map((line) => line.trim()) : [];
    this.options.logger.error({ node: this.id, error: detail, stack }, `${what}; stopping node ${this.id} (fail-stop) so nothing undurable is acknowledged`);
    this.stop(`${what}: ${detail}`);
  }

  private nowMs(): number {
    return this.options.clock.monotonicNowMs();
  }
}

/** How many applied entries a node waits between its snapshots: snapshotEntries plus up to a quarter more, fixed by its id. */
export function staggeredSnapshotEntries(id: NodeId, snapshotEntries: number): number {
  return snapshotEntries + (stringHash(id) % (Math.floor(snapshotEntries / 4) + 1));
}

/** FNV-1a of a string's UTF-16 code units: a small, stable spread (not a checksum). */
function stringHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
