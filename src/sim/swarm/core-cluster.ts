// A consistent-core cluster in the simulated world: each machine boots a
// CoreNode (Raft + MVCC store + leases + watches) on its own SimDisk, clock
// and timers, with Raft messages and member-to-member requests on two
// networks that share the world's links (a partition cuts both). The story
// tests of the key-value store and its swarm drive clusters through here, so
// they exercise exactly the node the real server runs.

import { nodeId, type NodeId } from '../../ids.js';
import type { RaftMessage } from '../../consensus/messages.js';
import type { RaftOptions } from '../../consensus/options.js';
import type { ClusterConfig } from '../../consensus/types.js';
import type { WatchHubOptions } from '../../kv/watch-hub.js';
import { type Completion, type Outcome, stopped } from '../../server/client-errors.js';
import type { CoreMachineOptions } from '../../server/core-machine.js';
import { CoreNode } from '../../server/core-node.js';
import { type MemberContext, memberIdFromText } from '../../server/member-table.js';
import type { PeerMessage } from '../../server/peer-requests.js';
import type { RaftNodeLimits, RaftNodeObserver } from '../../server/raft-node.js';
import { fanOut } from '../../server/raft-node-observer.js';
import { RaftStorage, type RaftStorageOptions } from '../../server/raft-storage.js';
import type { SimNetwork } from '../network.js';
import { World, type SimNodeEnvironment, type WorldOptions } from '../world.js';
import { SafetyMonitor } from './safety-monitor.js';

export interface CoreClusterOptions {
  readonly seed: number;
  readonly nodes: readonly string[];
  readonly world?: Omit<WorldOptions, 'seed'>;
  readonly raft?: Omit<RaftOptions, 'id' | 'random'>;
  readonly limits?: Partial<RaftNodeLimits>;
  readonly machine?: CoreMachineOptions;
  readonly watch?: WatchHubOptions;
  readonly storageOptions?: Partial<RaftStorageOptions>;
  readonly observer?: RaftNodeObserver;
  readonly leaseExtendOnPromoteMs?: number;
  readonly unsafeStaleReads?: boolean;
  /** Told of each process once it has started, before it handles its first timer (the swarm instruments its Lessor). */
  readonly onNodeStarted?: (id: NodeId, node: CoreNode) => void;
}

export const coreDirectory = 'core';

/** The member record a simulated planet is bootstrapped with: its id derives from its name. */
export function planetMember(name: string): MemberContext {
  return { id: memberIdFromText(name), name, peerUrls: [`sim://${name}`] };
}

export class CoreCluster {
  readonly world: World;
  readonly monitor: SafetyMonitor;
  readonly raftNetwork: SimNetwork<RaftMessage>;
  readonly peerNetwork: SimNetwork<PeerMessage>;
  private readonly observers: RaftNodeObserver[] = [];
  private readonly bootstrapMembers: ReadonlyMap<NodeId, MemberContext>;
  readonly bootFailures: { node: NodeId; error: unknown }[] = [];

  constructor(private readonly options: CoreClusterOptions) {
    this.world = new World({ seed: options.seed, ...options.world });
    this.monitor = new SafetyMonitor(() => this.world.nowMs());
    this.raftNetwork = this.world.network<RaftMessage>('raft', { describe: (m) => `${m.type} t${m.term}` });
    this.peerNetwork = this.world.network<PeerMessage>('peer', { describe: (m) => `${m.type} #${m.id}` });
    this.observers.push(this.monitor.observer());
    if (options.observer !== undefined) this.observers.push(options.observer);
    this.bootstrapMembers = new Map(options.nodes.map((name) => [nodeId(name), planetMember(name)]));
    const bootstrap: ClusterConfig = { voters: options.nodes.map(nodeId), outgoingVoters: [], learners: [] };
    for (const name of options.nodes) this.addMachine(name, bootstrap);
  }

  /** A machine that starts empty and learns the cluster from the leader (add it as a member too). */
  addMachine(name: string, bootstrap: ClusterConfig = { voters: [], outgoingVoters: [], learners: [] }): NodeId {
    return this.world.addNode(name, { boot: (env) => this.boot(env, bootstrap) });
  }

  node(id: string): CoreNode | undefined {
    return this.world.process<CoreNode | null>(id) ?? undefined;
  }

  machines(): NodeId[] {
    return this.world.nodeIds();
  }

  /** Running members (not crashed, booted, not stopped). */
  running(): NodeId[] {
    return this.machines().filter((id) => this.world.status(id) === 'running' && this.node(id) !== undefined && !this.node(id)!.isStopped);
  }

  leader(): NodeId | null {
    let best: { id: NodeId; term: number } | null = null;
    for (const id of this.running()) {
      const status = this.node(id)!.status();
      if (status.role === 'leader' && (best === null || status.term > best.term)) best = { id, term: status.term };
    }
    return best?.id ?? null;
  }

  async electLeader(limitMs = 10_000): Promise<NodeId> {
    await this.world.runUntil(() => this.leader() !== null, { limitMs });
    const leader = this.leader();
    if (leader === null) throw new Error(`no leader within ${limitMs} ms`);
    return leader;
  }

  /** Whether the machine is up but its process failed to boot (it holds null until crashed and restarted). */
  bootFailed(id: string): boolean {
    return this.world.status(id) !== 'crashed' && this.world.process<CoreNode | null>(id) === null;
  }

  /** Runs a client's call against one member, as a request over the network would reach its process. */
  call<T>(member: string, done: Completion<T>, run: (node: CoreNode) => void): void {
    const machine = this.world.node(member);
    const node = this.node(member);
    if (machine === undefined || node === undefined || machine.status === 'crashed') {
      done({ ok: false, error: stopped(nodeId(member), 'not running', true) });
      return;
    }
    machine.runGuarded(machine.incarnation, () => run(node));
  }

  /** Starts a request and returns a box that holds its outcome once it arrives. */
  request<T>(start: (done: Completion<T>) => void): { outcome: Outcome<T> | undefined } {
    const box: { outcome: Outcome<T> | undefined } = { outcome: undefined };
    start((outcome) => {
      box.outcome = outcome;
    });
    return box;
  }

  private async boot(env: SimNodeEnvironment, bootstrap: ClusterConfig): Promise<CoreNode | null> {
    const observer = fanOut(this.observers);
    try {
      const storage = await RaftStorage.open(env.disk, coreDirectory, { logger: env.logger, wallClock: env.clock, ...this.options.storageOptions });
      const node = await CoreNode.start({
        id: env.nodeId,
        clock: env.clock,
        timers: env.timers,
        logger: env.logger,
        random: env.random,
        raftTransport: env.transport(this.raftNetwork),
        peerTransport: env.transport(this.peerNetwork),
        storage,
        bootstrap,
        bootstrapMembers: this.bootstrapMembers,
        ...(this.options.raft === undefined ? {} : { raft: this.options.raft }),
        ...(this.options.limits === undefined ? {} : { limits: this.options.limits }),
        ...(this.options.machine === undefined ? {} : { machine: this.options.machine }),
        ...(this.options.watch === undefined ? {} : { watch: this.options.watch }),
        ...(this.options.leaseExtendOnPromoteMs === undefined ? {} : { leaseExtendOnPromoteMs: this.options.leaseExtendOnPromoteMs }),
        ...(this.options.unsafeStaleReads === undefined ? {} : { unsafeStaleReads: this.options.unsafeStaleReads }),
        observer,
      });
      this.options.onNodeStarted?.(env.nodeId, node);
      return node;
    } catch (error) {
      this.bootFailures.push({ node: env.nodeId, error });
      env.logger.error({ error }, 'boot failed');
      return null;
    }
  }
}
