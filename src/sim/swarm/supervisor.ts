// What an operator (or systemd) does around a simulated Raft cluster: apply
// the planned faults to the machines that exist, restart a node that
// fail-stopped on a disk error or failed to boot, and at the end heal
// everything so liveness can be demanded.

import type { NodeId } from '../../ids.js';
import type { Random } from '../../runtime/random.js';
import { applyFault, type FaultAction } from '../fault-schedule.js';
import { defaultLinkConfig } from '../links.js';
import type { World } from '../world.js';

/** What the supervisor needs of a simulated cluster: RaftCluster and CoreCluster both are one. */
export interface SupervisedCluster {
  readonly world: World;
  machines(): NodeId[];
  leader(): NodeId | null;
  node(id: string): { readonly isStopped: boolean } | undefined;
  bootFailed(id: string): boolean;
}

/** How often the supervisor looks for stopped nodes, and how long a restart takes. */
export const superviseIntervalMs = 500;
export const restartDelayMs = 300;

/** Applies a planned fault unless it targets a machine that is missing or retired; says whether it applied. */
export function applySwarmFault(cluster: SupervisedCluster, action: FaultAction, retired: ReadonlySet<string>): boolean {
  const world = cluster.world;
  const usable = (name: string): boolean => world.node(name) !== undefined && !retired.has(name);
  switch (action.kind) {
    case 'partition': {
      const groupA = action.groupA.filter(usable);
      const groupB = action.groupB.filter(usable);
      if (groupA.length === 0 || groupB.length === 0) return false;
      world.partition(groupA, groupB);
      return true;
    }
    case 'clog':
      if (!usable(action.from) || !usable(action.to)) return false;
      break;
    case 'heal':
    case 'burst':
    case 'end-burst':
      break;
    default:
      if (!usable(action.node)) return false;
  }
  applyFault(world, action);
  return true;
}

/** Restarts, like a process supervisor, any node that stopped itself or failed to boot. */
export function superviseNodes(cluster: SupervisedCluster, retired: ReadonlySet<string>): void {
  const world = cluster.world;
  const check = (): void => {
    for (const id of cluster.machines()) {
      if (retired.has(id) || world.status(id) !== 'running') continue;
      const node = cluster.node(id);
      if (!cluster.bootFailed(id) && (node === undefined || !node.isStopped)) continue;
      world.crash(id);
      world.after(restartDelayMs, `supervisor restarts ${id}`, () => {
        if (!retired.has(id) && world.status(id) === 'crashed') world.restart(id);
      });
    }
    world.after(superviseIntervalMs, 'supervisor', check);
  };
  world.after(superviseIntervalMs, 'supervisor', check);
}

/** Ends every fault: links heal, disks and clocks behave, paused nodes resume and crashed ones restart. */
export function healEverything(cluster: SupervisedCluster, retired: ReadonlySet<string>): void {
  const world = cluster.world;
  world.heal();
  world.setLinkBurst(null);
  for (const id of cluster.machines()) {
    restoreLinks(cluster, id);
    if (retired.has(id)) continue;
    world.disk(id).clearFaults();
    world.disk(id).setCapacityBytes(world.diskCapacityBytes(id));
    if (world.isDiskStalled(id)) world.unstallDisk(id);
    if (world.clock(id).driftPpm() !== 0) world.setClockDriftPpm(id, 0);
    const status = world.status(id);
    if (status === 'paused') world.resume(id);
    else if (status === 'crashed') world.restart(id);
  }
}

/**
 * Correlated failure: every machine loses power at the same instant, so every
 * write not yet synced anywhere is gone at once, and each comes back after
 * its own delay. This is the fault that shows an acknowledgement sent before
 * its write was durable.
 */
export function schedulePowerLosses(
  cluster: SupervisedCluster,
  random: Random,
  window: { readonly startMs: number; readonly endMs: number; readonly meanIntervalMs: number },
  retired: ReadonlySet<string>,
  count: () => void,
): void {
  const world = cluster.world;
  let atMs = window.startMs;
  while (true) {
    atMs += random.nextFloat() * 2 * window.meanIntervalMs;
    if (atMs >= window.endMs) break;
    const restartDelaysMs = cluster.machines().map(() => 50 + random.nextInt(0, 1_000));
    world.at(atMs, 'power-loss', () => {
      count();
      cluster.machines().forEach((id, i) => {
        if (retired.has(id) || world.status(id) === 'crashed') return;
        world.crash(id);
        world.after(restartDelaysMs[i] ?? 0, `power back on ${id}`, () => {
          if (!retired.has(id) && world.status(id) === 'crashed') world.restart(id);
        });
      });
    });
  }
}

/** How slow a slow link is: long enough that a newer leader takes over while the old one's messages are still on the wire. */
export const slowLinkLatencyMs = { min: 500, max: 3_000 } as const;

/**
 * A congested path: for a while everything one machine sends takes seconds to
 * arrive. Its peers elect a new leader meanwhile, and then receive the old
 * leader's appends, stale by a term or more.
 */
export function scheduleSlowLinks(
  cluster: SupervisedCluster,
  random: Random,
  window: { readonly startMs: number; readonly endMs: number; readonly meanIntervalMs: number },
  retired: ReadonlySet<string>,
  count: () => void,
): void {
  const world = cluster.world;
  let atMs = window.startMs;
  while (true) {
    atMs += random.nextFloat() * 2 * window.meanIntervalMs;
    if (atMs >= window.endMs) break;
    const pickIndex = random.nextUint32();
    const durationMs = 1_000 + random.nextInt(0, 4_000);
    world.at(atMs, 'slow-link', () => {
      const candidates = cluster.machines().filter((id) => !retired.has(id));
      // The leader's links are the interesting ones: prefer it when there is one.
      const slow = cluster.leader() ?? candidates[pickIndex % candidates.length];
      if (slow === undefined) return;
      count();
      for (const to of cluster.machines()) {
        if (to !== slow) world.configureLink(slow, to, { minLatencyMs: slowLinkLatencyMs.min, maxLatencyMs: slowLinkLatencyMs.max });
      }
      world.after(Math.min(durationMs, Math.max(0, window.endMs - world.nowMs())), `link from ${slow} recovers`, () => restoreLinks(cluster, slow));
    });
  }
}

function restoreLinks(cluster: SupervisedCluster, from: string): void {
  for (const to of cluster.machines()) {
    if (to !== from) cluster.world.configureLink(from, to, { minLatencyMs: defaultLinkConfig.minLatencyMs, maxLatencyMs: defaultLinkConfig.maxLatencyMs });
  }
}
