// A Raft cluster in the simulated world: each machine boots a RaftNode on its
// own SimDisk, clock and timers, with a KvRegisterMachine behind it, and
// every node reports to one SafetyMonitor. The story tests and the swarm both
// drive clusters through this class, so they exercise exactly the node the
// real server runs.

import { nodeId, type NodeId } from '../../ids.js';
import { RaftCore } from '../../consensus/raft-core.js';
import type { RaftMessage } from '../../consensus/messages.js';
import type { RaftOptions } from '../../consensus/options.js';
import type { ClusterConfig, ConfigChange } from '../../consensus/types.js';
import { type Completion, type Outcome, stopped } from '../../server/client-errors.js';
import { type KvCommand, type KvResult, KvRegisterMachine, encodeKvCommand } from '../../server/kv-register-machine.js';
import { MemoryPersistence } from '../../server/memory-persistence.js';
import { RaftNode, type RaftNodeLimits, type RaftNodeObserver } from '../../server/raft-node.js';
import { fanOut } from '../../server/raft-node-observer.js';
import type { RaftPersistence } from '../../server/raft-persistence.js';
import { RaftStorage, type RaftStorageOptions } from '../../server/raft-storage.js';
import type { SimNetwork } from '../network.js';
import { World, type SimNodeEnvironment, type WorldOptions } from '../world.js';
import { SafetyMonitor } from './safety-monitor.js';

export type KvRaftNode = RaftNode<RaftMessage, KvResult, KvRegisterMachine>;

export interface RaftClusterOptions {
  readonly seed: number;
  /** The initial voters, e.g. ['jupiter', 'saturn', 'neptune']. */
  readonly nodes: readonly string[];
  readonly world?: Omit<WorldOptions, 'seed'>;
  /** Core options for every node (election ticks, planted bugs...). */
  readonly raft?: Omit<RaftOptions, 'id' | 'random'>;
  readonly limits?: Partial<RaftNodeLimits>;
  /** 'disk' (default): RaftStorage on each machine's SimDisk. 'memory': MemoryPersistence, which survives crashes whole. */
  readonly storage?: 'disk' | 'memory';
  readonly storageOptions?: Partial<RaftStorageOptions>;
  /** Also told everything the safety monitor is told. */
  readonly observer?: RaftNodeObserver;
}

export const raftDirectory = 'raft';

export class RaftCluster {
  readonly world: World;
  readonly monitor: SafetyMonitor;
  readonly network: SimNetwork<RaftMessage>;
  private readonly memoryStores = new Map<NodeId, MemoryPersistence>();
  private readonly bootFailures: { node: NodeId; error: unknown }[] = [];
  private readonly observers: RaftNodeObserver[] = [];

  constructor(private readonly options: RaftClusterOptions) {
    this.world = new World({ seed: options.seed, ...options.world });
    this.monitor = new SafetyMonitor(() => this.world.nowMs());
    this.network = this.world.network<RaftMessage>('raft', { describe: describeMessage });
    this.observers.push(this.monitor.observer());
    if (options.observer !== undefined) this.observers.push(options.observer);
    const bootstrap: ClusterConfig = { voters: options.nodes.map(nodeId), outgoingVoters: [], learners: [] };
    for (const name of options.nodes) this.addMachine(name, bootstrap);
  }

  /** Adds a machine that starts with an empty log and learns the config from the leader (add it as a member too). */
  addMachine(name: string, bootstrap: ClusterConfig = { voters: [], outgoingVoters: [], learners: [] }): NodeId {
    return this.world.addNode(name, { boot: (env) => this.boot(env, bootstrap) });
  }

  /** The running node's process, if it is up (not crashed, not still booting). */
  node(id: string): KvRaftNode | undefined {
    return this.world.process<KvRaftNode | null>(id) ?? undefined;
  }

  /** Whether the machine is up but its process failed to boot (it holds null until crashed and restarted). */
  bootFailed(id: string): boolean {
    return this.world.status(id) !== 'crashed' && this.world.process<KvRaftNode | null>(id) === null;
  }

  /** Also tell `observer` what every node reports, from the next event on. */
  addObserver(observer: RaftNodeObserver): void {
    this.observers.push(observer);
  }

  /** Machines in the world, members or not. */
  machines(): NodeId[] {
    return this.world.nodeIds();
  }

  /** Boot failures so far (e.g. a disk read error during recovery). */
  get failedBoots(): readonly { node: NodeId; error: unknown }[] {
    return this.bootFailures;
  }

  /** The node that leads the highest term among running nodes, if any. */
  leader(): NodeId | null {
    let best: { id: NodeId; term: number } | null = null;
    for (const id of this.machines()) {
      const node = this.node(id);
      if (node === undefined || node.isStopped || this.world.status(id) !== 'running') continue;
      const status = node.status();
      if (status.role === 'leader' && (best === null || status.term > best.term)) best = { id, term: status.term };
    }
    return best?.id ?? null;
  }

  /** Runs until some node leads, or the limit passes; returns it. */
  async electLeader(limitMs = 10_000): Promise<NodeId> {
    await this.world.runUntil(() => this.leader() !== null, { limitMs });
    const leader = this.leader();
    if (leader === null) throw new Error(`no leader within ${limitMs} ms`);
    return leader;
  }

  // ---- a client's view: requests go to one member, through its queue, as a network request would ----

  propose(member: string, command: KvCommand, timeoutMs: number, done: Completion<KvResult>): void {
    this.call(member, done, (node) => node.propose(encodeKvCommand(command), { timeoutMs }, done));
  }

  read(member: string, key: string, timeoutMs: number, done: Completion<string | null>): void {
    this.call(member, done, (node) => node.readLinearizable((machine) => machine.get(key), { timeoutMs }, done));
  }

  /** A serializable read: the member's applied state, however far behind it is. */
  readStale(member: string, key: string, done: Completion<string | null>): void {
    this.call(member, done, (node) => node.readSerializable((machine) => machine.get(key), done));
  }

  changeMembership(member: string, change: ConfigChange, timeoutMs: number, done: Completion<void>): void {
    this.call(member, done, (node) => node.changeMembership(change, { timeoutMs }, done));
  }

  transferLeadership(member: string, to: string, timeoutMs: number, done: Completion<void>): void {
    this.call(member, done, (node) => node.transferLeadership(nodeId(to), { timeoutMs }, done));
  }

  /** Starts a request and returns a box that holds its outcome once it arrives, for story tests. */
  request<T>(start: (done: Completion<T>) => void): { outcome: Outcome<T> | undefined } {
    const box: { outcome: Outcome<T> | undefined } = { outcome: undefined };
    start((outcome) => {
      box.outcome = outcome;
    });
    return box;
  }

  private call<T>(member: string, done: Completion<T>, run: (node: KvRaftNode) => void): void {
    const machine = this.world.node(member);
    const node = this.node(member);
    if (machine === undefined || node === undefined || machine.status === 'crashed') {
      // Connection refused: the request never reached a process.
      done({ ok: false, error: stopped(nodeId(member), 'not running', true) });
      return;
    }
    // A paused process takes the request when it resumes, as its socket buffer would.
    machine.runGuarded(machine.incarnation, () => run(node));
  }

  // A boot that fails (a disk read error during recovery) leaves the process
  // null, as a daemon that exits at start; the run goes on without it.
  private async boot(env: SimNodeEnvironment, bootstrap: ClusterConfig): Promise<KvRaftNode | null> {
    const transport = env.transport(this.network);
    const observer = fanOut(this.observers);
    try {
      const storage = await this.openStorage(env);
      return await RaftNode.start({
        id: env.nodeId,
        clock: env.clock,
        timers: env.timers,
        logger: env.logger,
        transport,
        storage,
        machine: new KvRegisterMachine(),
        createCore: (restored) => new RaftCore({ ...this.options.raft, id: env.nodeId, random: env.random }, restored, bootstrap),
        limits: this.options.limits,
        observer,
      });
    } catch (error) {
      this.bootFailures.push({ node: env.nodeId, error });
      env.logger.error({ error }, 'boot failed');
      return null;
    }
  }

  private async openStorage(env: SimNodeEnvironment): Promise<RaftPersistence> {
    if (this.options.storage === 'memory') {
      let store = this.memoryStores.get(env.nodeId);
      if (store === undefined) this.memoryStores.set(env.nodeId, (store = new MemoryPersistence()));
      return store;
    }
    return RaftStorage.open(env.disk, raftDirectory, { logger: env.logger, wallClock: env.clock, ...this.options.storageOptions });
  }
}

function describeMessage(message: RaftMessage): string {
  switch (message.type) {
    case 'append':
      return `append t${message.term} prev=${message.prevIndex}/${message.prevTerm} n=${message.entries.length} commit=${message.commit}`;
    case 'append-response':
      return `append-response t${message.term} index=${message.index}${message.reject ? ' reject' : ''}`;
    case 'vote':
      return `${message.preVote ? 'pre-vote' : 'vote'} t${message.term} last=${message.lastIndex}/${message.lastTerm}`;
    case 'vote-response':
      return `${message.preVote ? 'pre-vote' : 'vote'}-response t${message.term} ${message.granted ? 'granted' : 'refused'}`;
    case 'snapshot':
      return `snapshot t${message.term} at=${message.meta.index} ${message.offset}/${message.totalBytes}`;
    default:
      return `${message.type} t${message.term}`;
  }
}
