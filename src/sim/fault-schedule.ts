// A seeded plan of faults over a window of virtual time. The plan is plain
// data made before the run, so a failing seed's faults can be printed, read
// and replayed, and generating it never depends on what the nodes did.
//
// Every fault that has an end (a crash and its restart, a partition and its
// heal) ends inside the window, so after endMs the world is whole again and a
// checker can ask for liveness. By default at most a minority of nodes is
// crashed or paused at once, so a correct protocol can always make progress.

import { assert, fail, unreachable } from '../assert.js';
import type { Random } from '../runtime/random.js';
import type { LinkBurst } from './links.js';
import type { SimDiskFault, SimDiskFaultKind } from './sim-disk.js';
import type { World } from './world.js';

export const faultKinds = ['crash', 'pause', 'partition', 'isolate', 'clog', 'loss', 'duplicate', 'reorder', 'clock-jump', 'clock-drift', 'disk', 'disk-full', 'disk-stall'] as const;
export type FaultKind = (typeof faultKinds)[number];

export type FaultAction =
  | { readonly kind: 'crash'; readonly node: string }
  | { readonly kind: 'restart'; readonly node: string }
  | { readonly kind: 'pause'; readonly node: string }
  | { readonly kind: 'resume'; readonly node: string }
  | { readonly kind: 'partition'; readonly groupA: readonly string[]; readonly groupB: readonly string[] }
  | { readonly kind: 'isolate'; readonly node: string }
  | { readonly kind: 'clog'; readonly from: string; readonly to: string }
  | { readonly kind: 'heal' }
  | { readonly kind: 'burst'; readonly burst: Partial<LinkBurst> }
  | { readonly kind: 'end-burst' }
  | { readonly kind: 'clock-jump'; readonly node: string; readonly deltaMs: number }
  | { readonly kind: 'clock-drift'; readonly node: string; readonly driftPpm: number }
  | { readonly kind: 'disk-fault'; readonly node: string; readonly fault: SimDiskFault }
  | { readonly kind: 'disk-clear'; readonly node: string }
  /** The disk fills up: writes that would grow a file fail with ENOSPC until disk-space-freed. */
  | { readonly kind: 'disk-full'; readonly node: string }
  | { readonly kind: 'disk-space-freed'; readonly node: string }
  /** Every disk completion waits (a hung fsync) until disk-unstall. */
  | { readonly kind: 'disk-stall'; readonly node: string }
  | { readonly kind: 'disk-unstall'; readonly node: string };

export interface ScheduledFault {
  readonly atMs: number;
  readonly action: FaultAction;
}

export interface FaultScheduleOptions {
  /** Use world.forkRandom('faults'), so the plan depends on the seed alone. */
  readonly random: Random;
  readonly nodes: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
  /** Which kinds to draw from; all by default. */
  readonly faults?: readonly FaultKind[];
  /** Mean gap between the starts of two faults. */
  readonly meanIntervalMs?: number;
  /** Each fault lasts uniformly between these (cut short at endMs). */
  readonly minDurationMs?: number;
  readonly maxDurationMs?: number;
  /** Let crashes and pauses take down a majority at once (safety tests; liveness is then not expected). */
  readonly allowMajorityDown?: boolean;
  readonly maxLossProbability?: number;
  readonly maxDuplicateProbability?: number;
  readonly reorderDelayMs?: number;
  readonly maxClockJumpMs?: number;
  readonly maxDriftPpm?: number;
  /** A plan longer than this is a mistake in the options (a tiny interval over a long window). */
  readonly maxFaults?: number;
}

interface Busy {
  readonly untilMs: number;
  readonly node?: string;
}

export function generateFaultSchedule(options: FaultScheduleOptions): ScheduledFault[] {
  const random = options.random;
  const nodes = options.nodes;
  const kinds = options.faults ?? faultKinds;
  const meanIntervalMs = options.meanIntervalMs ?? 1_000;
  const minDurationMs = options.minDurationMs ?? 100;
  const maxDurationMs = options.maxDurationMs ?? 3_000;
  const maxFaults = options.maxFaults ?? 100_000;
  assert(nodes.length > 0, 'a fault schedule needs nodes');
  if (!(options.endMs >= options.startMs)) fail(`empty window [${options.startMs}, ${options.endMs}]`);
  assert(meanIntervalMs > 0 && minDurationMs >= 0 && maxDurationMs >= minDurationMs, 'fault intervals and durations must be positive and ordered');
  const maxDown = options.allowMajorityDown === true ? nodes.length : Math.floor((nodes.length - 1) / 2);

  const plan: ScheduledFault[] = [];
  let nodesDown: Busy[] = [];
  let networkBusyUntilMs = -Infinity;
  let burstBusyUntilMs = -Infinity;
  let drifting: Busy[] = [];
  let diskFaulty: Busy[] = [];
  const pick = <T>(items: readonly T[]): T => items[random.nextInt(0, items.length)]!;

  let atMs = options.startMs;
  while (true) {
    atMs += random.nextFloat() * 2 * meanIntervalMs;
    if (atMs >= options.endMs) break;
    if (!(plan.length < maxFaults)) fail(`fault schedule exceeds maxFaults (${maxFaults}): raise meanIntervalMs`);
    const endMs = Math.min(options.endMs, atMs + minDurationMs + random.nextFloat() * (maxDurationMs - minDurationMs));
    nodesDown = nodesDown.filter((busy) => busy.untilMs > atMs);
    drifting = drifting.filter((busy) => busy.untilMs > atMs);
    diskFaulty = diskFaulty.filter((busy) => busy.untilMs > atMs);
    const kind = pick(kinds);
    const add = (start: FaultAction, end: FaultAction | null): void => {
      plan.push({ atMs, action: start });
      if (end !== null) plan.push({ atMs: endMs, action: end });
    };
    switch (kind) {
      case 'crash':
      case 'pause': {
        const up = nodes.filter((node) => !nodesDown.some((busy) => busy.node === node));
        if (nodesDown.length >= maxDown || up.length === 0) break;
        const node = pick(up);
        nodesDown.push({ untilMs: endMs, node });
        if (kind === 'crash') add({ kind: 'crash', node }, { kind: 'restart', node });
        else add({ kind: 'pause', node }, { kind: 'resume', node });
        break;
      }
      case 'partition':
      case 'isolate':
      case 'clog': {
        if (networkBusyUntilMs > atMs || nodes.length < 2) break;
        networkBusyUntilMs = endMs;
        if (kind === 'partition') {
          const shuffled = shuffle(nodes, random);
          const split = random.nextInt(1, shuffled.length);
          add({ kind: 'partition', groupA: shuffled.slice(0, split), groupB: shuffled.slice(split) }, { kind: 'heal' });
        } else if (kind === 'isolate') {
          add({ kind: 'isolate', node: pick(nodes) }, { kind: 'heal' });
        } else {
          const [from, to] = shuffle(nodes, random);
          add({ kind: 'clog', from: from!, to: to! }, { kind: 'heal' });
        }
        break;
      }
      case 'loss':
      case 'duplicate':
      case 'reorder': {
        if (burstBusyUntilMs > atMs) break;
        burstBusyUntilMs = endMs;
        const burst: Partial<LinkBurst> =
          kind === 'loss'
            ? { lossProbability: random.nextFloat() * (options.maxLossProbability ?? 0.3) }
            : kind === 'duplicate'
              ? { duplicateProbability: random.nextFloat() * (options.maxDuplicateProbability ?? 0.3) }
              : { reorderProbability: random.nextFloat(), reorderDelayMs: options.reorderDelayMs ?? 50 };
        add({ kind: 'burst', burst }, { kind: 'end-burst' });
        break;
      }
      case 'clock-jump': {
        const maxJumpMs = options.maxClockJumpMs ?? 5_000;
        add({ kind: 'clock-jump', node: pick(nodes), deltaMs: Math.round((random.nextFloat() * 2 - 1) * maxJumpMs) }, null);
        break;
      }
      case 'clock-drift': {
        const free = nodes.filter((node) => !drifting.some((busy) => busy.node === node));
        if (free.length === 0) break;
        const node = pick(free);
        drifting.push({ untilMs: endMs, node });
        const maxPpm = options.maxDriftPpm ?? 200;
        add({ kind: 'clock-drift', node, driftPpm: Math.round((random.nextFloat() * 2 - 1) * maxPpm) }, { kind: 'clock-drift', node, driftPpm: 0 });
        break;
      }
      case 'disk-full':
      case 'disk-stall': {
        const free = nodes.filter((node) => !diskFaulty.some((busy) => busy.node === node));
        if (free.length === 0) break;
        const node = pick(free);
        diskFaulty.push({ untilMs: endMs, node });
        if (kind === 'disk-full') add({ kind: 'disk-full', node }, { kind: 'disk-space-freed', node });
        else add({ kind: 'disk-stall', node }, { kind: 'disk-unstall', node });
        break;
      }
      case 'disk': {
        const free = nodes.filter((node) => !diskFaulty.some((busy) => busy.node === node));
        if (free.length === 0) break;
        const node = pick(free);
        diskFaulty.push({ untilMs: endMs, node });
        const diskKinds: readonly SimDiskFaultKind[] = ['read-error', 'write-error', 'datasync-error'];
        const fault: SimDiskFault = { kind: pick(diskKinds), probability: 0.1 + random.nextFloat() * 0.9, count: random.nextInt(1, 4) };
        add({ kind: 'disk-fault', node, fault }, { kind: 'disk-clear', node });
        break;
      }
      default:
        unreachable(kind, 'fault kind');
    }
  }
  // Stable by time: an end and a start at the same instant keep their plan order.
  return plan.map((fault, order) => ({ fault, order })).sort((a, b) => a.fault.atMs - b.fault.atMs || a.order - b.order).map(({ fault }) => fault);
}

/** Schedules each fault as a world event. A fault whose target is already in that state (restarted by the test) is skipped. */
export function applyFaultSchedule(world: World, plan: readonly ScheduledFault[]): void {
  for (const { atMs, action } of plan) {
    world.at(atMs, describeFault(action), () => applyFault(world, action));
  }
}

export function applyFault(world: World, action: FaultAction): void {
  switch (action.kind) {
    case 'crash':
      if (world.status(action.node) !== 'crashed') world.crash(action.node);
      return;
    case 'restart':
      if (world.status(action.node) === 'crashed') world.restart(action.node);
      return;
    case 'pause':
      if (world.status(action.node) === 'running') world.pause(action.node);
      return;
    case 'resume':
      if (world.status(action.node) === 'paused') world.resume(action.node);
      return;
    case 'partition':
      return world.partition(action.groupA, action.groupB);
    case 'isolate':
      return world.isolate(action.node);
    case 'clog':
      return world.clog(action.from, action.to);
    case 'heal':
      return world.heal();
    case 'burst':
      return world.setLinkBurst(action.burst);
    case 'end-burst':
      return world.setLinkBurst(null);
    case 'clock-jump':
      return world.jumpWallClock(action.node, action.deltaMs);
    case 'clock-drift':
      return world.setClockDriftPpm(action.node, action.driftPpm);
    case 'disk-fault':
      return world.disk(action.node).injectFault(action.fault);
    case 'disk-clear':
      return world.disk(action.node).clearFaults();
    case 'disk-full':
      // No room beyond what is already stored; nothing else on the disk changes.
      return world.disk(action.node).setCapacityBytes(0);
    case 'disk-space-freed':
      return world.disk(action.node).setCapacityBytes(world.diskCapacityBytes(action.node));
    case 'disk-stall':
      if (!world.isDiskStalled(action.node)) world.stallDisk(action.node);
      return;
    case 'disk-unstall':
      if (world.isDiskStalled(action.node)) world.unstallDisk(action.node);
      return;
    default:
      return unreachable(action, 'fault action');
  }
}

export function describeFault(action: FaultAction): string {
  switch (action.kind) {
    case 'partition':
      return `partition ${action.groupA.join(',')} | ${action.groupB.join(',')}`;
    case 'clog':
      return `clog ${action.from} -> ${action.to}`;
    case 'heal':
    case 'end-burst':
      return action.kind;
    case 'burst':
      return `burst ${JSON.stringify(action.burst)}`;
    case 'clock-jump':
      return `clock-jump ${action.node} ${action.deltaMs}ms`;
    case 'clock-drift':
      return `clock-drift ${action.node} ${action.driftPpm}ppm`;
    case 'disk-fault':
      return `disk-fault ${action.node} ${JSON.stringify(action.fault)}`;
    default:
      return `${action.kind} ${action.node}`;
  }
}

function shuffle<T>(items: readonly T[], random: Random): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = random.nextInt(0, i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
