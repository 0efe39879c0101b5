// The Replicated Log's core: Raft as a pure state machine, in the shape of
// etcd-io/raft. The node feeds it ticks, messages and proposals and carries
// out the Ready it hands back (persist, send, apply), then calls advance().
// Nothing here touches a clock, disk or socket, so the simulator and the real
// server drive the same code.
//
// Where the cluster config comes from: a brand-new node of the initial
// cluster (no hard state, no log, no snapshot) writes the bootstrap config
// into its log as config entries 1..n of term 1, committed, exactly as every
// other initial member does; a node joining later starts with an empty
// bootstrap config and learns the config from the leader's log or snapshot.
// On restart the config is the snapshot's config plus the config entries in
// the restored log (see config.ts: a config takes effect when appended).

import { assert, fail } from '../assert.js';
import { logIndex, term as toTerm, type LogIndex, type NodeId, type Term } from '../ids.js';
import { ConfigHistory, checkChange, decodeConfigChange, encodeConfigChange, isVoter, members } from './config.js';
import type { RaftMessage, SnapshotChunkMessage } from './messages.js';
import { resolveOptions, type RaftOptions, type ResolvedRaftOptions } from './options.js';
import { Replicator } from './replicator.js';
import { jointMajorityIndex, jointVoteOutcome } from './quorum.js';
import { RaftLog } from './raft-log.js';
import { ReadIndexBatcher, type ReadRequest } from './read-only.js';
import { SnapshotReceiver } from './snapshot-receiver.js';
import type { SnapshotData } from './snapshot-data.js';
import type {
  ClusterConfig, ConfigChange, Entry, HardState, Outbound, Placement, RaftCoreApi, RaftRole, RaftStatus, ReadState, Ready,
  Refusal, RestoredState, Snapshot, SnapshotMeta,
} from './types.js';

const noEntries: readonly Entry[] = [];
const noData = new Uint8Array(0);

export class RaftCore implements RaftCoreApi<RaftMessage> {
  readonly id: NodeId;
  private readonly options: ResolvedRaftOptions;
  private readonly log: RaftLog;
  private readonly configs: ConfigHistory;

  private termValue: Term;
  private vote: NodeId | null;
  private role: RaftRole = 'follower';
  private leader: NodeId | null = null;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;

  private readonly replicator: Replicator;
  private readonly votes = new Map<NodeId, boolean>();
  private leadTransferee: NodeId | null = null;
  private readonly reads: ReadIndexBatcher;
  private readonly snapshotReceiver = new SnapshotReceiver();
  /** The newest local snapshot, kept to send to followers that fell behind the first held index. */
  private localSnapshot: Snapshot | null = null;

  // The next Ready's contents.
  private messages: Outbound<RaftMessage>[] = [];
  private messagesAfterPersist: Outbound<RaftMessage>[] = [];
  private readStates: ReadState[] = [];
  private pendingSnapshot: Snapshot | null = null;
  private broadcastPending = false;
  /** The hard state last handed to the node; a Ready carries a new one only when it differs. */
  private handedOutHardState: HardState;
  /** Highest index handed to the node for applying. */
  private applying: LogIndex;
  private readyInProgress = false;
  /** Proposals to forward to the leader with the next Ready, in one message. */
  private forwarding: Uint8Array[] = [];
  private forwardingBytes = 0;

  private readonly quorumScratch: number[] = [];
  private readonly acknowledgedIndex = (voter: NodeId): number => {
    if (voter === this.id) return this.options.bugs.ackBeforePersist ? this.log.lastIndex() : this.log.stableLastIndex();
    return this.replicator.progress.get(voter)?.match ?? 0;
  };

  /**
   * @param bootstrapContexts what a fresh initial member writes as the context
   *   of each bootstrap config entry (every initial member must pass the same).
   */
  constructor(options: RaftOptions, restored: RestoredState, bootstrapConfig: ClusterConfig, bootstrapContexts?: ReadonlyMap<NodeId, Uint8Array>) {
    this.options = resolveOptions(options);
    this.id = options.id;
    this.reads = new ReadIndexBatcher(this.options.maxPendingReads);
    const snapshot = restored.snapshot;
    const fresh = snapshot === null && restored.entries.length === 0 && restored.hardState.term === 0;
    const bootstrap = fresh && bootstrapConfig.voters.length > 0 ? bootstrapEntries(bootstrapConfig, bootstrapContexts) : noEntries;
    const hardState: HardState = bootstrap.length > 0
      ? { term: toTerm(1), vote: null, commit: logIndex(bootstrap.length) }
      : restored.hardState;
    this.termValue = hardState.term;
    this.vote = hardState.vote;
    this.log = new RaftLog(snapshot?.index ?? logIndex(0), snapshot?.term ?? toTerm(0), restored.entries, hardState.commit);
    this.replicator = new Replicator(this.log, this.options, () => this.termValue, () => this.localSnapshot, (to, message) => this.send(to, message));
    this.configs = new ConfigHistory(snapshot?.index ?? logIndex(0), snapshot?.config ?? { voters: [], outgoingVoters: [], learners: [] });
    for (const entry of restored.entries) if (entry.kind === 'config') this.configs.appended(entry.index, decodeConfigChange(entry.data));
    if (bootstrap.length > 0) {
      // The bootstrap entries are unstable: the first Ready persists them with the hard state.
      this.log.truncateAndAppend(bootstrap);
      for (const entry of bootstrap) this.configs.appended(entry.index, decodeConfigChange(entry.data));
      this.log.commitTo(logIndex(bootstrap.length));
      this.handedOutHardState = { term: toTerm(0), vote: null, commit: logIndex(0) };
    } else {
      this.handedOutHardState = { term: hardState.term, vote: hardState.vote, commit: this.log.commitIndex() };
    }
    this.applying = this.log.appliedIndex();
    if (snapshot !== null && restored.snapshotData !== undefined) this.localSnapshot = { meta: snapshot, data: restored.snapshotData };
    this.resetRandomizedElectionTicks();
  }

  // ---- inputs ----

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickFollower();
  }

  step(from: NodeId, message: RaftMessage): void {
    if (!this.checkTerm(from, message)) return;
    switch (message.type) {
      case 'vote':
        this.handleVote(from, message);
        return;
      case 'vote-response':
        if (this.role === 'pre-candidate' && message.preVote) this.recordVote(from, message.granted);
        else if (this.role === 'candidate' && !message.preVote && message.term === this.termValue) this.recordVote(from, message.granted);
        return;
      case 'append':
        this.followLeader(from);
        this.handleAppend(from, message.prevIndex, message.prevTerm, message.entries, message.commit);
        return;
      case 'heartbeat':
        this.followLeader(from);
        // The leader caps the commit at what it knows we hold.
        this.log.commitTo(logIndex(Math.min(message.commit, this.log.lastIndex())));
        this.send(from, { type: 'heartbeat-response', term: this.termValue, context: message.context });
        return;
      case 'snapshot':
        this.followLeader(from);
        this.handleSnapshotChunk(from, message);
        return;
      case 'timeout-now':
        // The leader chose us: campaign at once, skipping pre-vote, with the transfer flag so voters set their lease aside.
        if (this.role === 'follower' && this.isPromotable()) this.campaign('transfer');
        return;
      case 'read-index-response':
        if (this.role !== 'leader') this.readStates.push({ requestId: message.requestId, index: message.index });
        return;
      case 'propose':
        // Only the leader proposes; a forwarded proposal that finds none is dropped, and its sender resends.
        if (this.role === 'leader') this.proposeForwarded(message.data);
        return;
      case 'append-response':
      case 'heartbeat-response':
      case 'snapshot-response':
      case 'read-index':
        if (this.role === 'leader') this.stepLeader(from, message);
        return;
    }
  }

  propose(data: Uint8Array): Placement | Refusal {
    const refusal = this.refuseProposal();
    if (refusal !== null) return refusal;
    return this.appendOwn('normal', data);
  }

  forward(data: Uint8Array): Refusal | null {
    if (this.role === 'leader' || this.leader === null) return { reason: 'not-leader', leader: this.leader };
    this.forwarding.push(data);
    this.forwardingBytes += data.length;
    if (this.forwarding.length >= this.options.maxEntriesPerAppend || this.forwardingBytes >= this.options.maxBytesPerAppend) this.flushForwarding();
    return null;
  }

  proposeConfigChange(change: ConfigChange): Placement | Refusal {
    const refusal = this.refuseProposal();
    if (refusal !== null) return refusal;
    // One change at a time, and only after this leader committed its no-op (see config.ts).
    if (!this.committedInOwnTerm() || this.configs.lastChangeIndex() > this.log.commitIndex()) {
      return { reason: 'config-change-in-progress' };
    }
    const config = this.configs.current();
    const problem = checkChange(config, change);
    if (problem !== null) return { reason: 'invalid', detail: problem };
    if (change.type === 'promote-learner') {
      const match = this.replicator.progress.get(change.node)?.match ?? 0;
      const lag = this.log.lastIndex() - match;
      // As etcd: the learner must hold at least 90% of the leader's log, and be within the lag bound.
      if (lag > this.options.maxLearnerLagEntries || match < 0.9 * this.log.lastIndex()) {
        return { reason: 'invalid', detail: `learner not ready: ${change.node} is ${lag} entries behind the leader (at most ${this.options.maxLearnerLagEntries})` };
      }
    }
    return this.appendOwn('config', encodeConfigChange(change), change);
  }

  readIndex(requestId: string): Refusal | null {
    if (this.role === 'leader') {
      if (this.reads.isFull()) return { reason: 'too-many-pending' };
      this.leaderRead(requestId, this.id);
      return null;
    }
    if (this.leader === null) return { reason: 'not-leader', leader: null };
    // A follower asks the leader for the read index, then serves the read itself once applied up to it.
    this.send(this.leader, { type: 'read-index', term: this.termValue, requestId });
    return null;
  }

  transferLeadership(to: NodeId): Refusal | null {
    if (this.role !== 'leader') return { reason: 'not-leader', leader: this.leader };
    if (to === this.id) return { reason: 'invalid', detail: `${to} is already the leader` };
    const progress = this.replicator.progress.get(to);
    if (progress === undefined || !isVoter(this.configs.current(), to)) return { reason: 'invalid', detail: `${to} is not a voter` };
    this.leadTransferee = to;
    // The transfer is abandoned if it has not finished within an election timeout.
    this.electionElapsed = 0;
    if (progress.match === this.log.lastIndex()) this.send(to, { type: 'timeout-now', term: this.termValue });
    else this.replicator.sendAppend(to, progress, true);
    return null;
  }

  snapshotTaken(index: LogIndex, data: SnapshotData): SnapshotMeta {
    if (!(index <= this.log.appliedIndex())) fail(`snapshot at ${index} is beyond applied ${this.log.appliedIndex()}`);
    if (index < this.log.snapshotIndex()) {
      // A snapshot taken asynchronously was overtaken by a newer one (e.g. installed from the leader): nothing to release.
      const current = this.log.snapshotIndex();
      return { index: current, term: this.log.snapshotTerm(), config: this.configs.at(current) };
    }
    const snapshotTerm = toTerm(this.log.termAt(index));
    const meta: SnapshotMeta = { index, term: snapshotTerm, config: this.configs.at(index) };
    this.localSnapshot = { meta, data };
    // Everything up to the snapshot is released; the snapshot's (index, term) stays for the consistency check.
    this.log.compactTo(index);
    this.configs.compactTo(index);
    return meta;
  }

  snapshotStored(index: LogIndex, data: SnapshotData): void {
    const current = this.localSnapshot;
    if (current === null || current.meta.index !== index) return;
    if (!(current.data.byteLength === data.byteLength && current.data.checksum === data.checksum)) {
      fail(`the stored snapshot at ${index} differs from the one held (${data.byteLength} bytes, checksum ${data.checksum})`);
    }
    this.localSnapshot = { meta: current.meta, data };
  }

  // ---- Ready / advance ----

  hasReady(): boolean {
    if (this.readyInProgress) return false;
    if (this.role === 'leader' && this.broadcastPending) return true;
    return this.messages.length > 0 || this.forwarding.length > 0 || this.messagesAfterPersist.length > 0 || this.readStates.length > 0
      || this.pendingSnapshot !== null || this.log.hasUnstable() || this.hardStateChanged()
      || this.applying < this.log.commitIndex();
  }

  takeReady(): Ready<RaftMessage> {
    assert(!this.readyInProgress, 'takeReady called again before advance');
    if (this.role === 'leader') this.flushBroadcast();
    this.flushForwarding();
    const hardState = this.hardStateChanged() ? this.currentHardState() : null;
    if (hardState !== null) {
      const previous = this.handedOutHardState;
      if (!(hardState.term >= previous.term)) fail(`term moved back from ${previous.term} to ${hardState.term}`);
      if (!(hardState.commit >= previous.commit)) fail(`commit index moved back from ${previous.commit} to ${hardState.commit}`);
      if (!(hardState.term > previous.term || previous.vote === null || hardState.vote === previous.vote)) {
        fail(`vote changed from ${previous.vote} to ${hardState.vote} within term ${hardState.term}`);
      }
      this.handedOutHardState = hardState;
    }
    const snapshot = this.pendingSnapshot;
    this.pendingSnapshot = null;
    const entries = this.log.takeUnstable();
    let committed: readonly Entry[] = noEntries;
    const commit = this.log.commitIndex();
    if (this.applying < commit) {
      committed = this.log.slice(this.applying + 1, commit, this.options.maxCommittedPerReady, Number.POSITIVE_INFINITY);
      this.applying = committed[committed.length - 1]!.index;
    }
    if (!(this.log.appliedIndex() <= commit && commit <= this.log.lastIndex())) {
      fail(`applied ${this.log.appliedIndex()} <= commit ${commit} <= last ${this.log.lastIndex()} does not hold`);
    }
    const ready: Ready<RaftMessage> = {
      hardState, entries, snapshot, committed,
      messages: this.messages,
      messagesAfterPersist: this.messagesAfterPersist,
      readStates: this.readStates,
    };
    this.messages = [];
    this.messagesAfterPersist = [];
    this.readStates = [];
    this.readyInProgress = true;
    return ready;
  }

  advance(ready: Ready<RaftMessage>): void {
    assert(this.readyInProgress, 'advance called without a Ready in progress');
    this.readyInProgress = false;
    if (ready.snapshot !== null) this.log.snapshotStable(ready.snapshot.meta.index);
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) this.log.stableTo(lastEntry.index, lastEntry.term);
    const lastCommitted = ready.committed[ready.committed.length - 1];
    if (lastCommitted !== undefined) this.log.appliedTo(lastCommitted.index);
    const hardState = ready.hardState;
    if (this.role === 'candidate' && !this.options.bugs.voteBeforePersist && hardState !== null
      && hardState.term === this.termValue && hardState.vote === this.id) {
      // Our own vote counts only once it is durable, like everyone else's.
      this.recordVote(this.id, true);
    }
    if (this.role === 'leader' && lastEntry !== undefined) this.maybeCommit();
  }

  status(): RaftStatus {
    return {
      id: this.id, role: this.role, term: this.termValue, vote: this.vote, leader: this.leader,
      commitIndex: this.log.commitIndex(), appliedIndex: this.log.appliedIndex(),
      firstIndex: this.log.firstIndex(), lastIndex: this.log.lastIndex(), config: this.configs.current(),
    };
  }

  currentRole(): RaftRole {
    return this.role;
  }

  currentTerm(): Term {
    return this.termValue;
  }

  currentLeader(): NodeId | null {
    return this.leader;
  }

  currentCommitIndex(): LogIndex {
    return this.log.commitIndex();
  }

  // ---- terms and roles ----

  /** The Generation Clock. Returns false when the message is to be dropped. */
  private checkTerm(from: NodeId, message: RaftMessage): boolean {
    const ours = this.termValue;
    if (message.term > ours) {
      if (message.type === 'vote') {
        // Leader stickiness: while we hear from a leader, a campaign is a partitioned node rejoining, not a dead leader.
        const inLease = this.options.checkQuorum && this.leader !== null && this.electionElapsed < this.options.electionTicks;
        if (inLease && !message.transfer) return false;
        if (message.preVote) return true;
      }
      if (message.type === 'vote-response' && message.preVote && message.granted) return true;
      const fromLeader = message.type === 'append' || message.type === 'heartbeat' || message.type === 'snapshot';
      this.becomeFollower(message.term, fromLeader ? from : null);
      return true;
    }
    if (message.term < ours) {
      if (message.type === 'append' && this.options.bugs.acceptStaleTermAppend) return true;
      if (message.type === 'append' || message.type === 'heartbeat' || message.type === 'snapshot') {
        // Tell the stale leader our term so it steps down instead of retrying forever.
        this.send(from, { type: 'append-response', term: ours, index: logIndex(0), reject: true, hintIndex: logIndex(0), hintTerm: toTerm(0) });
      } else if (message.type === 'vote' && message.preVote) {
        this.send(from, { type: 'vote-response', term: ours, preVote: true, granted: false });
      }
      return false;
    }
    return true;
  }

  private becomeFollower(newTerm: Term, leader: NodeId | null): void {
    if (!(newTerm >= this.termValue)) fail(`term moved back from ${this.termValue} to ${newTerm}`);
    if (newTerm > this.termValue) {
      this.termValue = newTerm;
      this.vote = null;
    }
    this.role = 'follower';
    this.leader = leader;
    this.resetRoleState();
  }

  private followLeader(from: NodeId): void {
    // An append in our own term comes from the one leader of this term (Election Safety).
    if (!(this.role !== 'leader' || this.options.bugs.acceptStaleTermAppend)) fail(`${this.id} leads term ${this.termValue} and got an append from ${from} in the same term`);
    if (this.role !== 'follower') this.becomeFollower(this.termValue, from);
    this.leader = from;
    this.electionElapsed = 0;
  }

  private resetRoleState(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTicks();
    this.votes.clear();
    this.replicator.clear();
    this.leadTransferee = null;
    this.reads.reset();
    this.broadcastPending = false;
  }

  private resetRandomizedElectionTicks(): void {
    const ticks = this.options.electionTicks;
    this.randomizedElectionTicks = this.options.random.nextInt(ticks, 2 * ticks);
  }

  private isPromotable(): boolean {
    return isVoter(this.configs.current(), this.id);
  }

  private tickFollower(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTicks && this.isPromotable()) {
      this.campaign(this.options.preVote ? 'pre-vote' : 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.options.electionTicks) {
      this.electionElapsed = 0;
      if (this.options.checkQuorum && !this.quorumRecentlyActive()) {
        // Check-quorum: a leader cut off from a majority steps down rather than serve stale reads or strand proposals.
        this.becomeFollower(this.termValue, null);
        return;
      }
      this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.replicator.broadcastHeartbeat(this.reads.currentContext());
    }
  }

  private quorumRecentlyActive(): boolean {
    const config = this.configs.current();
    const outcome = jointVoteOutcome(config.voters, config.outgoingVoters,
      (voter) => voter === this.id || this.replicator.progress.get(voter)?.recentActive === true);
    for (const progress of this.replicator.progress.values()) progress.recentActive = false;
    return outcome === 'won';
  }

  // ---- elections ----

  private campaign(kind: 'pre-vote' | 'election' | 'transfer'): void {
    const config = this.configs.current();
    let voteTerm: Term;
    if (kind === 'pre-vote') {
      this.role = 'pre-candidate';
      this.leader = null;
      this.resetRoleState();
      voteTerm = toTerm(this.termValue + 1);
    } else {
      this.becomeFollower(toTerm(this.termValue + 1), null);
      this.role = 'candidate';
      this.setVote(this.id);
      voteTerm = this.termValue;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    const preVote = kind === 'pre-vote';
    for (const voter of members(config)) {
      if (voter === this.id || !isVoter(config, voter)) continue;
      this.send(voter, { type: 'vote', term: voteTerm, preVote, transfer: kind === 'transfer', lastIndex, lastTerm });
    }
    // A pre-vote changes nothing durable, so it counts itself at once; a real vote counts once persisted (see advance).
    if (preVote || this.options.bugs.voteBeforePersist) this.recordVote(this.id, true);
  }

  private setVote(candidate: NodeId): void {
    if (!(this.vote === null || this.vote === candidate)) fail(`${this.id} voted for ${this.vote} and then ${candidate} in term ${this.termValue}`);
    this.vote = candidate;
  }

  private handleVote(from: NodeId, message: Extract<RaftMessage, { type: 'vote' }>): void {
    const canVote = this.vote === from
      || (this.vote === null && this.leader === null)
      || (message.preVote && message.term > this.termValue);
    const logOk = this.options.bugs.voteWithoutLogCheck || this.log.isUpToDate(message.lastIndex, message.lastTerm);
    if (!canVote || !logOk) {
      this.send(from, { type: 'vote-response', term: this.termValue, preVote: message.preVote, granted: false });
      return;
    }
    if (message.preVote) {
      // A pre-vote grant promises nothing, so it needs no persistence; it carries the proposed term.
      this.send(from, { type: 'vote-response', term: message.term, preVote: true, granted: true });
      return;
    }
    this.setVote(from);
    this.electionElapsed = 0;
    const reply: RaftMessage = { type: 'vote-response', term: this.termValue, preVote: false, granted: true };
    // The vote must be durable before the candidate can count it, or a restart could vote twice in this term.
    if (this.options.bugs.voteBeforePersist) this.send(from, reply);
    else this.sendAfterPersist(from, reply);
  }

  private recordVote(from: NodeId, granted: boolean): void {
    const config = this.configs.current();
    if (!isVoter(config, from)) return;
    this.votes.set(from, granted);
    const outcome = jointVoteOutcome(config.voters, config.outgoingVoters, (voter) => this.votes.get(voter));
    if (outcome === 'won') {
      if (this.role === 'pre-candidate') this.campaign('election');
      else this.becomeLeader();
    } else if (outcome === 'lost') {
      this.becomeFollower(this.termValue, null);
    }
  }

  private becomeLeader(): void {
    if (this.role !== 'candidate') fail(`${this.id} became leader from ${this.role}`);
    this.role = 'leader';
    this.leader = this.id;
    this.resetRoleState();
    this.syncProgressWithConfig();
    for (const progress of this.replicator.progress.values()) progress.recentActive = true;
    // The no-op lets this leader commit (and so learn the commit index of) everything earlier terms left.
    this.appendOwn('noop', noData);
  }

  // ---- the leader ----

  private refuseProposal(): Refusal | null {
    if (this.role !== 'leader') return { reason: 'not-leader', leader: this.leader };
    if (this.leadTransferee !== null) return { reason: 'transfer-in-progress' };
    if (this.log.lastIndex() - this.log.commitIndex() >= this.options.maxPendingProposals) return { reason: 'too-many-pending' };
    return null;
  }

  private appendOwn(kind: Entry['kind'], data: Uint8Array, change?: ConfigChange): Placement {
    const index = logIndex(this.log.lastIndex() + 1);
    const entryTerm = this.termValue;
    this.log.appendOwn({ index, term: entryTerm, kind, data });
    if (change !== undefined) {
      this.configs.appended(index, change);
      this.syncProgressWithConfig();
    }
    // Appends go out when the node next takes a Ready, so proposals made meanwhile share one message (Request Batch).
    this.broadcastPending = true;
    if (this.options.bugs.ackBeforePersist) this.maybeCommit();
    return { index, term: entryTerm };
  }

  /**
   * Tracks every member of the config in force, plus the members of the
   * committed config: a node being removed keeps receiving the log until its
   * removal commits, so it learns it was removed and stops campaigning.
   */
  private syncProgressWithConfig(): void {
    const everyone = members(this.configs.current());
    for (const node of members(this.configs.at(this.log.commitIndex()))) if (!everyone.includes(node)) everyone.push(node);
    this.replicator.track(everyone.filter((node) => node !== this.id));
  }

  private flushBroadcast(): void {
    if (!this.broadcastPending) return;
    this.broadcastPending = false;
    this.replicator.broadcastAppends();
  }

  private proposeForwarded(data: readonly Uint8Array[]): void {
    for (const each of data) {
      if (this.refuseProposal() !== null) return;
      this.appendOwn('normal', each);
    }
  }

  private flushForwarding(): void {
    if (this.forwarding.length === 0) return;
    const data = this.forwarding;
    this.forwarding = [];
    this.forwardingBytes = 0;
    // Leadership may have moved since these were queued: they go to whoever leads now, or nowhere (their senders resend).
    if (this.role !== 'leader' && this.leader !== null) this.send(this.leader, { type: 'propose', term: this.termValue, data });
  }

  private committedInOwnTerm(): boolean {
    return this.log.termAt(this.log.commitIndex()) === this.termValue;
  }

  private stepLeader(from: NodeId, message: RaftMessage): void {
    if (message.type === 'read-index') {
      if (!this.reads.isFull()) this.leaderRead(message.requestId, from);
      return;
    }
    const progress = this.replicator.progress.get(from);
    if (progress === undefined) return;
    progress.recentActive = true;
    switch (message.type) {
      case 'append-response': {
        if (message.reject) {
          this.replicator.rejected(from, progress, message.index, message.hintIndex, message.hintTerm);
          return;
        }
        const wasPaused = progress.isPaused();
        if (!this.replicator.acknowledged(progress, message.index)) return;
        if (this.maybeCommit()) this.broadcastPending = true;
        if (this.role !== 'leader') return;
        this.replicator.continueAfterAck(from, progress, wasPaused);
        if (from === this.leadTransferee && progress.match === this.log.lastIndex()) {
          this.send(from, { type: 'timeout-now', term: this.termValue });
        }
        return;
      }
      case 'heartbeat-response':
        if (progress.match < this.log.lastIndex()) this.replicator.resumeLagging(from, progress);
        if (this.reads.acknowledge(from, message.context)) this.maybeCompleteReadRound();
        return;
      case 'snapshot-response':
        this.replicator.snapshotAcknowledged(from, progress, message.snapshotIndex, message.receivedBytes);
        return;
      default:
        return;
    }
  }

  /** The commit rule: the highest index a majority holds, if it is of our own term (Raft §5.4.2, figure 8). */
  private maybeCommit(): boolean {
    const config = this.configs.current();
    const index = jointMajorityIndex(config.voters, config.outgoingVoters, this.acknowledgedIndex, this.quorumScratch);
    if (index <= this.log.commitIndex() || index > this.log.lastIndex()) return false;
    if (this.log.termAt(index) !== this.termValue && !this.options.bugs.commitPreviousTermByCount) return false;
    const wasCommittedInOwnTerm = this.committedInOwnTerm();
    const previousCommit = this.log.commitIndex();
    this.log.commitTo(logIndex(index));
    const changeIndex = this.configs.lastChangeIndex();
    if (changeIndex > previousCommit && changeIndex <= index) this.syncProgressWithConfig();
    if (!wasCommittedInOwnTerm && this.committedInOwnTerm()) {
      for (const read of this.reads.takeDeferred()) this.leaderRead(read.requestId, read.from);
    }
    if (!isVoter(config, this.id) && this.configs.lastChangeIndex() <= this.log.commitIndex()) {
      // Our own removal has committed: hand over by stepping down; the remaining voters elect a leader.
      // Before stepping down, tell every follower the final commit index so the change takes effect everywhere.
      this.broadcastPending = false;
      for (const progress of this.replicator.progress.values()) progress.probeSent = false;
      this.replicator.broadcastAppends();
      this.becomeFollower(this.termValue, null);
      return false;
    }
    return true;
  }

  // ---- snapshots ----

  private handleSnapshotChunk(from: NodeId, chunk: SnapshotChunkMessage): void {
    const commit = this.log.commitIndex();
    if (chunk.meta.index <= commit) {
      this.sendAfterPersist(from, this.appendAck(commit));
      return;
    }
    const { receivedBytes, complete } = this.snapshotReceiver.receive(chunk);
    if (complete === null) {
      this.send(from, { type: 'snapshot-response', term: this.termValue, snapshotIndex: chunk.meta.index, receivedBytes });
      return;
    }
    const meta = complete.meta;
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already hold the snapshot's last entry: our log agrees up to it, so only the commit index moves.
      this.log.commitTo(meta.index);
    } else {
      this.log.restore(meta.index, meta.term);
      this.configs.reset(meta.index, meta.config);
      this.pendingSnapshot = complete;
      this.applying = meta.index;
      // The log now starts after this snapshot: as a leader, this is the one a follower behind us needs, not an older one of our own.
      this.localSnapshot = complete;
    }
    this.sendAfterPersist(from, this.appendAck(meta.index));
  }

  // ---- followers ----

  private handleAppend(from: NodeId, prevIndex: LogIndex, prevTerm: Term, entries: readonly Entry[], leaderCommit: LogIndex): void {
    const log = this.log;
    if (prevIndex < log.commitIndex()) {
      this.ackAppend(from, this.appendAck(log.commitIndex()));
      return;
    }
    if (!log.matchTerm(prevIndex, prevTerm)) {
      const hint = log.findConflictByTerm(prevIndex, prevTerm);
      this.ackAppend(from, { type: 'append-response', term: this.termValue, index: prevIndex, reject: true, hintIndex: hint.index, hintTerm: hint.term });
      return;
    }
    const firstNew = log.firstNewPosition(entries);
    if (firstNew < entries.length) {
      const fresh = firstNew === 0 ? entries : entries.slice(firstNew);
      const truncatedFrom = log.truncateAndAppend(fresh);
      if (truncatedFrom > 0) this.configs.truncatedFrom(truncatedFrom);
      for (let i = 0; i < fresh.length; i++) {
        const entry = fresh[i]!;
        if (entry.kind === 'config') this.configs.appended(entry.index, decodeConfigChange(entry.data));
      }
    }
    const lastNew = logIndex(prevIndex + entries.length);
    log.commitTo(logIndex(Math.min(leaderCommit, lastNew)));
    this.ackAppend(from, this.appendAck(lastNew));
  }

  private appendAck(index: LogIndex): RaftMessage {
    return { type: 'append-response', term: this.termValue, index, reject: false, hintIndex: logIndex(0), hintTerm: toTerm(0) };
  }

  /** An acknowledgement promises the entries are durable, so it waits for persistence. */
  private ackAppend(to: NodeId, message: RaftMessage): void {
    if (this.options.bugs.ackBeforePersist) this.send(to, message);
    else this.sendAfterPersist(to, message);
  }

  // ---- ReadIndex ----

  private leaderRead(requestId: string, from: NodeId): void {
    const config = this.configs.current();
    if (!this.committedInOwnTerm()) {
      this.reads.defer(requestId, from);
      return;
    }
    const request: ReadRequest = { requestId, from, index: this.log.commitIndex() };
    if (config.voters.length === 1 && config.outgoingVoters.length === 0 && config.voters[0] === this.id) {
      this.deliverRead(request);
      return;
    }
    const context = this.reads.add(request);
    if (context !== 0) this.replicator.broadcastHeartbeat(context);
  }

  private maybeCompleteReadRound(): void {
    const config = this.configs.current();
    const outcome = jointVoteOutcome(config.voters, config.outgoingVoters,
      (voter) => (voter === this.id || this.reads.hasAcknowledged(voter) ? true : undefined));
    if (outcome !== 'won') return;
    const { ready, nextContext } = this.reads.completeRound();
    for (const request of ready) this.deliverRead(request);
    if (nextContext !== 0) this.replicator.broadcastHeartbeat(nextContext);
  }

  private deliverRead(request: ReadRequest): void {
    if (request.from === this.id) this.readStates.push({ requestId: request.requestId, index: request.index });
    else this.send(request.from, { type: 'read-index-response', term: this.termValue, requestId: request.requestId, index: request.index });
  }

  // ---- plumbing ----

  private send(to: NodeId, message: RaftMessage): void {
    this.messages.push({ to, message });
  }

  private sendAfterPersist(to: NodeId, message: RaftMessage): void {
    this.messagesAfterPersist.push({ to, message });
  }

  private currentHardState(): HardState {
    return { term: this.termValue, vote: this.vote, commit: this.log.commitIndex() };
  }

  private hardStateChanged(): boolean {
    const handed = this.handedOutHardState;
    return handed.term !== this.termValue || handed.vote !== this.vote || handed.commit !== this.log.commitIndex();
  }
}

/** The initial members as config entries 1..n of term 1, in a fixed order so every initial member writes the same log. */
function bootstrapEntries(config: ClusterConfig, contexts: ReadonlyMap<NodeId, Uint8Array> | undefined): Entry[] {
  const change = (type: 'add-voter' | 'add-learner', node: NodeId): ConfigChange => {
    const context = contexts?.get(node);
    return context === undefined ? { type, node } : { type, node, context };
  };
  const changes: ConfigChange[] = [
    ...[...config.voters].sort().map((node) => change('add-voter', node)),
    ...[...config.learners].sort().map((node) => change('add-learner', node)),
  ];
  return changes.map((change, i) => ({ index: logIndex(i + 1), term: toTerm(1), kind: 'config' as const, data: encodeConfigChange(change) }));
}
