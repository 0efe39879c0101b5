// One member of the consistent core: a Raft node (src/server/raft-node.ts)
// replicating the CoreMachine (key-value store, sessions, members, alarms),
// with the parts that live beside the log on each member: the leader's
// Lessor, the WatchHub that serves this member's watchers from its own
// applied state, reads at either consistency (Follower Reads), forwarding of
// writes and leader-only requests from followers, and the periodic work
// (expiring leases, catching up slow watchers, publishing this member's
// client URLs). It never touches a socket or a file: transports, storage,
// clocks and timers are handed in, so the simulator runs exactly this.

import { nodeId, type NodeId } from '../ids.js';
import { EntrySlabs } from '../log/entry-slabs.js';
import { RaftCore } from '../consensus/raft-core.js';
import type { RaftMessage } from '../consensus/messages.js';
import type { RaftOptions } from '../consensus/options.js';
import type { ClusterConfig } from '../consensus/types.js';
import { isLearner, members as configMembers } from '../consensus/config.js';
import type { KvCommand } from '../kv/kv-command.js';
import { Lessor } from '../kv/lessor.js';
import { WatchHub, type WatchHubOptions } from '../kv/watch-hub.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { Random } from '../runtime/random.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { Transport } from '../runtime/transport.js';
import { type Completion, type Outcome, refused, stopped } from './client-errors.js';
import type { CoreCommand } from './core-command.js';
import { CoreError, CoreMachine, type CoreMachineOptions, type CoreOutcome, type CoreResult } from './core-machine.js';
import { encodeCoreEntry } from './core-command.js';
import { FollowerReads, type ReadConsistency } from './follower-reads.js';
import { type RequestId, requestKey } from './idempotent-receiver.js';
import { LeaderRequests, type LeaseTtl, type MemberChangeRequest } from './leader-requests.js';
import { LogClock } from './log-clock.js';
import { type MemberContext, type MemberRecord, encodeMemberContext } from './member-table.js';
import { type PeerMessage, PeerRequests } from './peer-requests.js';
import type { RaftNodeObserver } from './raft-node-observer.js';
import { RaftNode, type RaftNodeLimits, type RaftNodeStatus } from './raft-node.js';
import type { RaftPersistence } from './raft-persistence.js';

export type CoreRaftNode = RaftNode<RaftMessage, CoreResult, CoreMachine>;

export interface CoreNodeOptions {
  readonly id: NodeId;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Seeds the election timeouts and this boot's session name. */
  readonly random: Random;
  readonly raftTransport: Transport<RaftMessage>;
  readonly peerTransport: Transport<PeerMessage>;
  readonly storage: RaftPersistence;
  /** The initial cluster, for a brand-new member of it; empty for a member that joins later. */
  readonly bootstrap: ClusterConfig;
  /** The member records of the initial cluster (every initial member must pass the same). */
  readonly bootstrapMembers?: ReadonlyMap<NodeId, MemberContext>;
  readonly raft?: Omit<RaftOptions, 'id' | 'random'>;
  readonly limits?: Partial<RaftNodeLimits>;
  readonly machine?: CoreMachineOptions;
  readonly watch?: WatchHubOptions;
  readonly observer?: RaftNodeObserver;
  /** How often the leader looks for expired leases (etcd: 500 ms). */
  readonly leaseCheckIntervalMs?: number;
  /** How often lagging watchers replay a batch of history (etcd: 100 ms). */
  readonly watchSyncIntervalMs?: number;
  /** Added to every lease's TTL when this member becomes leader, so clients have time to find it (etcd: an election timeout). */
  readonly leaseExtendOnPromoteMs?: number;
  /** Requests to the leader on behalf of a follower's client (keep-alives, membership) wait this long at most. */
  readonly peerRequestTimeoutMs?: number;
  /** A planted bug for the fault tests: linearizable reads served from local state without ReadIndex. */
  readonly unsafeStaleReads?: boolean;
}

export interface ProposeOptions {
  readonly timeoutMs: number;
  /** A client's own request id, so its retries apply once; by default the member's session numbers the request. */
  readonly requestId?: RequestId;
}

/** What a member counts as it runs, for /metrics. */
export interface CoreNodeCounters {
  /** Times this member saw a different leader (or itself become one). */
  leaderChanges: number;
  proposalsFailed: number;
}

export class CoreNode {
  readonly id: NodeId;
  readonly counters: CoreNodeCounters;
  readonly raft: CoreRaftNode;
  readonly machine: CoreMachine;
  readonly lessor: Lessor;
  readonly hub: WatchHub;
  private readonly reads: FollowerReads;
  private readonly leaderRequests: LeaderRequests;
  private readonly peers: PeerRequests;
  private readonly sessionName: string;
  private readonly logClock: LogClock;
  private nextSeq = 1;
  private readonly timerHandles = new Map<string, TimerHandle>();
  /** The bytes of entries this member proposes, kept in the log until a snapshot: in slabs of their own. */
  private readonly entrySlabs = new EntrySlabs();
  private closed = false;
  private removedFromCluster = false;
  private published: { name: string; clientUrls: readonly string[] } | null = null;
  private publishInFlight = false;
  private readonly removedListeners: (() => void)[] = [];

  private constructor(private readonly options: CoreNodeOptions, raft: CoreRaftNode, machine: CoreMachine, peers: PeerRequests, counters: CoreNodeCounters) {
    this.id = options.id;
    this.counters = counters;
    this.raft = raft;
    this.machine = machine;
    this.peers = peers;
    this.lessor = new Lessor({ clock: options.clock });
    this.hub = new WatchHub(machine.kv, options.watch);
    const bootNonce = options.random.nextInt(0, 2 ** 48);
    this.sessionName = `${options.id}.${bootNonce.toString(36)}`;
    this.logClock = new LogClock(options.clock);
    // This life's requests to other members are numbered apart from the previous life's, whose answers may still arrive.
    peers.numberFrom(bootNonce + 1);
    this.reads = new FollowerReads(raft, options.unsafeStaleReads ?? false);
    this.leaderRequests = new LeaderRequests({
      id: options.id, raft, machine, lessor: this.lessor, peers, clock: options.clock, timers: options.timers,
      timeoutMs: options.peerRequestTimeoutMs ?? 5_000,
    });
    machine.kv.onLeaseChange((change) => this.lessor.observe(change));
    // Recovery (snapshot restore, replay of the log) applied entries before this node existed: track the leases they left.
    this.lessor.reset(machine.kv.leases());
    machine.members.onChange((change) => {
      if (change.type === 'removed' && change.member.node === this.id) this.noteRemoved();
    });
  }

  static async start(options: CoreNodeOptions): Promise<CoreNode> {
    const machine = new CoreMachine(options.machine);
    const peers = new PeerRequests({ transport: options.peerTransport, nowMs: () => options.clock.monotonicNowMs(), maxPendingRequests: 4096 });
    const counters: CoreNodeCounters = { leaderChanges: 0, proposalsFailed: 0 };
    let lastLeader: NodeId | null = null;
    /** Set once the node exists: the lessor follows leadership at once (the periodic lease check is the backstop). */
    let leadershipSeen: ((leading: boolean) => void) | null = null;
    const user = options.observer;
    const observer = {
      ...user,
      following: (node: NodeId, leader: NodeId, leaderTerm: Parameters<NonNullable<RaftNodeObserver['following']>>[2]) => {
        if (leader !== lastLeader) {
          counters.leaderChanges++;
          options.logger.info({ node, leader, term: leaderTerm }, leader === node ? `${node} leads term ${leaderTerm}` : `${node} follows ${leader} in term ${leaderTerm}`);
        }
        lastLeader = leader;
        leadershipSeen?.(leader === node);
        user?.following?.(node, leader, leaderTerm);
      },
    };
    const contexts = new Map<NodeId, Uint8Array>();
    for (const [node, context] of options.bootstrapMembers ?? []) contexts.set(node, encodeMemberContext(context));
    const raft = await RaftNode.start<RaftMessage, CoreResult, CoreMachine>({
      id: options.id,
      clock: options.clock,
      timers: options.timers,
      logger: options.logger,
      transport: options.raftTransport,
      storage: options.storage,
      machine,
      createCore: (restored) => new RaftCore({ ...options.raft, id: options.id, random: options.random }, restored, options.bootstrap, contexts),
      limits: options.limits,
      observer,
    });
    const node = new CoreNode(options, raft, machine, peers, counters);
    leadershipSeen = (leading) => node.followLeadership(leading);
    node.startPeriodicWork();
    return node;
  }

  get isStopped(): boolean {
    return this.closed || this.raft.isStopped;
  }

  /** True once this member's removal from the cluster applied here; it then serves nothing. */
  get isRemoved(): boolean {
    return this.removedFromCluster;
  }

  /**
   * The cluster says this member was removed, though its own log has not told
   * it yet (it restarted on the data directory of a removed member, say, and
   * nobody will send it the rest of the log): it stops serving, as etcd does.
   */
  learnRemoved(detail: string): void {
    if (this.removedFromCluster) return;
    this.options.logger.warn({ node: this.id, detail }, `the cluster refuses ${this.id} as removed: ${detail}`);
    this.noteRemoved();
  }

  onRemoved(listener: () => void): void {
    this.removedListeners.push(listener);
  }

  status(): RaftNodeStatus {
    return this.raft.status();
  }

  /** This member's record, once the log has told it. */
  self(): MemberRecord | undefined {
    return this.machine.members.byNode(this.id);
  }

  isLearner(): boolean {
    return isLearner(this.raft.status().config, this.id);
  }

  // ---- writes: through the log, from any member ----

  propose(command: CoreCommand, options: ProposeOptions, done: Completion<CoreOutcome>): void {
    if (this.refuseIfRemoved(done)) return;
    const id: RequestId = options.requestId ?? { session: this.sessionName, seq: this.nextSeq++ };
    const data = this.entrySlabs.copy(encodeCoreEntry({ requestId: id, proposedAtMs: this.stampMs(), command }));
    this.raft.proposeKeyed(requestKey(id), data, { timeoutMs: options.timeoutMs }, (outcome) => {
      if (!outcome.ok) this.counters.proposalsFailed++;
      done(outcome.ok ? { ok: true, value: outcome.value.outcome } : outcome);
    });
  }

  /** An entry's timestamp: the log's clock as applied here, run on by this member's monotonic clock (log-clock.ts). */
  private stampMs(): number {
    return this.logClock.stampMs(this.machine.logClockMs);
  }

  kv(command: KvCommand, options: ProposeOptions, done: Completion<CoreOutcome>): void {
    this.propose({ type: 'kv', command }, options, done);
  }

  // ---- reads: Follower Reads ----

  /** Runs `read` on this member's state: 'serializable' as applied now, 'linearizable' once applied up to the leader's read index. */
  read<T>(consistency: ReadConsistency, timeoutMs: number, read: (machine: CoreMachine) => T, done: Completion<T>): void {
    if (this.refuseIfRemoved(done)) return;
    this.reads.read(consistency, timeoutMs, read, done);
  }

  // ---- leader-only requests, forwarded when this member follows ----

  /** The lease's TTL from now after a keep-alive; 0 when it does not exist or already expired (etcd's answer). */
  leaseKeepAlive(id: bigint, done: Completion<number>): void {
    if (this.refuseIfRemoved(done)) return;
    this.leaderRequests.keepAlive(id, done);
  }

  leaseTimeToLive(id: bigint, done: Completion<LeaseTtl>): void {
    if (this.refuseIfRemoved(done)) return;
    this.leaderRequests.timeToLive(id, done);
  }

  changeMembers(request: MemberChangeRequest, done: Completion<MemberRecord | null>): void {
    if (this.refuseIfRemoved(done)) return;
    this.leaderRequests.changeMembers(request, done);
  }

  /** Hands leadership to `target`; etcd accepts this only on the leader. */
  moveLeader(target: bigint, timeoutMs: number, done: Completion<void>): void {
    if (this.refuseIfRemoved(done)) return;
    const member = this.machine.members.byId(target);
    if (member === undefined) {
      done({ ok: false, error: new CoreError('bad-leader-transferee', 'etcdserver: bad leader transferee') });
      return;
    }
    this.raft.transferLeadership(member.node, { timeoutMs }, done);
  }

  /** Publishes this member's name and client URLs through the log (retried until applied). */
  publish(name: string, clientUrls: readonly string[]): void {
    this.published = { name, clientUrls: [...clientUrls] };
    this.publishIfNeeded();
  }

  stop(reason = 'stopped by request'): void {
    if (this.closed) return;
    this.closed = true;
    for (const handle of this.timerHandles.values()) this.options.timers.cancel(handle);
    this.timerHandles.clear();
    this.peers.failAll(stopped(this.id, reason, false));
    this.options.peerTransport.close();
    this.raft.stop(reason);
  }

  // ---- periodic work ----

  private startPeriodicWork(): void {
    this.every('leases', this.options.leaseCheckIntervalMs ?? 500, () => this.checkLeases());
    this.every('watch-sync', this.options.watchSyncIntervalMs ?? 100, () => this.hub.syncUnsynced());
    this.every('peer-expiry', 100, () => this.peers.expire(this.options.clock.monotonicNowMs()));
    this.every('publish', 1_000, () => this.publishIfNeeded());
  }

  private every(name: string, intervalMs: number, body: () => void): void {
    const run = (): void => {
      if (this.closed) return;
      if (!this.raft.isStopped) body();
      this.timerHandles.set(name, this.options.timers.schedule(intervalMs, run));
    };
    this.timerHandles.set(name, this.options.timers.schedule(intervalMs, run));
  }

  /**
   * Only the leader counts leases down (Lease pattern). It takes over with
   * every lease's full TTL; a member that stops leading stops counting. An
   * expired lease's revoke is proposed only while this member leads, and is
   * never forwarded or resent: a deposed leader must not expire anything.
   */
  /** The lessor counts only while this member leads: promoted with every lease's full TTL again, demoted when another leads. */
  private followLeadership(leading: boolean): void {
    if (leading && !this.lessor.isPrimary) this.lessor.promote(this.options.leaseExtendOnPromoteMs ?? 0);
    else if (!leading && this.lessor.isPrimary) this.lessor.demote();
  }

  private checkLeases(): void {
    const leading = this.raft.status().role === 'leader';
    this.followLeadership(leading);
    if (!leading) return;
    for (const id of this.lessor.expired()) {
      const data = this.entrySlabs.copy(encodeCoreEntry({ requestId: null, proposedAtMs: this.stampMs(), command: { type: 'kv', command: { type: 'lease-revoke', request: { id } } } }));
      this.raft.propose(data, { timeoutMs: 5_000 }, () => {});
    }
  }

  private publishIfNeeded(): void {
    const wanted = this.published;
    if (wanted === null || this.publishInFlight || this.isStopped || this.removedFromCluster) return;
    const self = this.self();
    if (self === undefined) return;
    if (self.name === wanted.name && sameList(self.clientUrls, wanted.clientUrls)) return;
    this.publishInFlight = true;
    this.propose({ type: 'publish', node: this.id, name: wanted.name, clientUrls: wanted.clientUrls }, { timeoutMs: 5_000 }, () => {
      this.publishInFlight = false;
    });
  }

  private noteRemoved(): void {
    if (this.removedFromCluster) return;
    this.removedFromCluster = true;
    this.options.logger.warn({ node: this.id }, `member ${this.id} was removed from the cluster: it stops serving`);
    for (const listener of this.removedListeners) listener();
  }

  private refuseIfRemoved<T>(done: Completion<T>): boolean {
    if (this.closed) {
      done({ ok: false, error: stopped(this.id, 'stopped', true) });
      return true;
    }
    if (!this.removedFromCluster) return false;
    done({ ok: false, error: refused('etcdserver: the member has been permanently removed from the cluster') });
    return true;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Members of a config by node id, with their records where known (for status pages and tests). */
export function configMemberIds(config: ClusterConfig): NodeId[] {
  return configMembers(config).map((node) => nodeId(node));
}

export type { Outcome };
