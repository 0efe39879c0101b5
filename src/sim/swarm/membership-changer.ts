// Membership changes as an operator makes them, during the faults: bring a
// fresh machine in as a learner, promote it once it has caught up, later
// remove a voter and retire its machine. It works from the leader's config
// each time, so a change whose outcome was unknown (a timeout) is simply
// seen, or not, on the next look.

import { nodeId, type NodeId } from '../../ids.js';
import type { Random } from '../../runtime/random.js';
import { isMember } from '../../consensus/config.js';
import type { ClusterConfig, ConfigChange } from '../../consensus/types.js';
import type { Completion } from '../../server/client-errors.js';
import type { World } from '../world.js';

/** What the changer needs of a cluster: RaftCluster is one; the consistent core's swarm adapts CoreCluster. */
export interface MembershipTarget {
  readonly world: World;
  leader(): NodeId | null;
  node(id: string): { status(): { readonly config: ClusterConfig } } | undefined;
  addMachine(name: string): NodeId;
  changeMembership(member: string, change: ConfigChange, timeoutMs: number, done: Completion<void>): void;
}

export const membershipIntervalMs = 4_000;
export const membershipTimeoutMs = 3_000;

export class MembershipChanger {
  private running = false;
  private busy = false;
  private readonly removing = new Set<NodeId>();

  constructor(
    private readonly cluster: MembershipTarget,
    private readonly random: Random,
    private readonly initial: readonly string[],
    private readonly spares: readonly string[],
    /** Where clients may send; the changer keeps it to the current members. */
    private readonly members: Set<NodeId>,
    private readonly retired: Set<string>,
    private readonly count: (kind: string) => void,
  ) {}

  start(fromMs: number, untilMs: number): void {
    this.running = true;
    const world = this.cluster.world;
    const step = (): void => {
      if (!this.running || world.nowMs() >= untilMs) return;
      this.step();
      world.after(membershipIntervalMs / 2 + this.random.nextInt(0, membershipIntervalMs), 'membership', step);
    };
    world.at(fromMs + this.random.nextInt(0, membershipIntervalMs), 'membership', step);
  }

  stop(): void {
    this.running = false;
  }

  private step(): void {
    if (this.busy) return;
    const leader = this.cluster.leader();
    if (leader === null) return;
    const config = this.cluster.node(leader)!.status().config;
    for (const id of this.removing) {
      if (!isMember(config, id)) this.retire(id);
    }
    const learner = config.learners[0];
    if (learner !== undefined) return this.change(leader, 'promote-learner', learner);
    if (config.voters.length > this.initial.length) {
      const candidates = config.voters.filter((voter) => voter !== leader);
      if (candidates.length === 0) return;
      const victim = candidates[this.random.nextInt(0, candidates.length)]!;
      this.removing.add(victim);
      return this.change(leader, 'remove', victim);
    }
    const spare = this.spares.find((name) => this.cluster.world.node(name) === undefined);
    if (spare === undefined) return;
    this.cluster.addMachine(spare);
    this.members.add(nodeId(spare));
    this.change(leader, 'add-learner', nodeId(spare));
  }

  private change(leader: NodeId, type: 'add-learner' | 'promote-learner' | 'remove', node: NodeId): void {
    this.busy = true;
    this.count(`membership-${type}`);
    this.cluster.changeMembership(leader, { type, node }, membershipTimeoutMs, (outcome) => {
      this.busy = false;
      if (outcome.ok && type === 'remove') this.retire(node);
    });
    // The leader may crash with the request: the changer must not wait forever for its answer.
    this.cluster.world.after(membershipTimeoutMs + 1_000, 'membership timeout', () => {
      this.busy = false;
    });
  }

  // A removed member's machine is switched off for good: it is no longer part of the cluster.
  private retire(id: NodeId): void {
    this.removing.delete(id);
    this.members.delete(id);
    if (this.retired.has(id)) return;
    this.retired.add(id);
    if (this.cluster.world.status(id) !== 'crashed') this.cluster.world.crash(id);
  }
}
