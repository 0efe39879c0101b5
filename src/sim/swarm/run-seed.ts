// One swarm run: one seed decides a cluster, a client workload and a fault
// schedule; the run goes for the simulated time asked, heals every fault,
// and then demands that the cluster finishes its work (liveness), that every
// acknowledged write survived (durability), that all members agree, and that
// what the clients saw is linearizable. Raft's safety properties are checked
// by the SafetyMonitor as the run goes.

import { InvariantViolation } from '../../assert.js';
import { nodeId, type NodeId } from '../../ids.js';
import { checkLinearizability, kvRegistersModel } from '../../check/index.js';
import type { PlantedBugs } from '../../consensus/options.js';
import { members as configMembers } from '../../consensus/config.js';
import { DiskError } from '../../runtime/disk.js';
import { LogFailedError } from '../../log/errors.js';
import { decodeKvCommand } from '../../server/kv-register-machine.js';
import { type FaultKind, type ScheduledFault, describeFault, faultKinds, generateFaultSchedule } from '../fault-schedule.js';
import { MembershipChanger } from './membership-changer.js';
import { RaftCluster } from './raft-cluster.js';
import type { SafetyViolation } from './safety-monitor.js';
import { type SupervisedCluster, applySwarmFault, healEverything, schedulePowerLosses, scheduleSlowLinks, superviseNodes } from './supervisor.js';
import { Workload, defaultWorkloadOptions } from './workload.js';

export const planetNames = ['jupiter', 'saturn', 'neptune', 'mars', 'venus', 'uranus', 'mercury', 'pluto', 'earth', 'ceres'] as const;

/** The world's fault kinds, plus changes of membership, a power loss of every machine at once, and a slow outgoing path. */
export type SwarmFaultKind = FaultKind | 'membership' | 'power-loss' | 'slow-link';
export const swarmFaultKinds: readonly SwarmFaultKind[] = [...faultKinds, 'membership', 'power-loss', 'slow-link'];
const swarmOnlyKinds: readonly SwarmFaultKind[] = ['membership', 'power-loss', 'slow-link'];
/** Faults start after the first simulated second, once a leader is elected. */
export const windowStartMs = 1_000;

export interface SeedOptions {
  readonly seed: number;
  /** Initial voters: 3 or 5. */
  readonly nodes: number;
  readonly faults: readonly SwarmFaultKind[];
  readonly simulatedMs: number;
  readonly clients?: number;
  readonly bugs?: PlantedBugs;
  /** Record a trace (slower); the swarm re-runs failing seeds with it on. */
  readonly trace?: boolean;
  /** Mean gap between faults. */
  readonly meanFaultIntervalMs?: number;
  /** Let a majority be down at once (finds more bugs; liveness is then checked only after heal). */
  readonly allowMajorityDown?: boolean;
  /** Simulated time the cluster gets after heal to elect a leader and finish everything. */
  readonly settleLimitMs?: number;
  readonly snapshotEntries?: number;
  /**
   * Serve the clients' reads from whatever member they ask, without ReadIndex:
   * stale reads on purpose, to show the history checker catches them.
   */
  readonly staleReads?: boolean;
  /** Small appends make a catching-up follower acknowledge the log piece by piece, which exercises the commit rule. */
  readonly maxEntriesPerAppend?: number;
  /** How long each fdatasync takes on every simulated disk; longer widens the window in which a crash loses unsynced writes. */
  readonly datasyncLatencyMs?: number;
  /** What the cluster replicates: the Raft swarm's registers (the default here), or the consistent core's key-value store. */
  readonly store?: SwarmStore;
  /** Largest wall-clock jump of a clock-jump fault (default 5 s). */
  readonly maxClockJumpMs?: number;
  /** kv only: how long a client session may sit idle, by the log's clock, before members forget it (default 10 minutes). */
  readonly sessionIdleMs?: number;
}

export type SwarmStore = 'registers' | 'kv';
export const swarmStores: readonly SwarmStore[] = ['registers', 'kv'];

/** What a seed of the key-value store adds to the figures. */
export interface KvSeedFigures {
  /** Operations in the history the linearizability checker was given (client operations and lease revocations). */
  readonly operationsChecked: number;
  readonly serializableReads: number;
  readonly revisions: number;
  readonly watchEvents: number;
  readonly watchMoves: number;
  readonly leasesGranted: number;
  readonly keepAlivesAcknowledged: number;
  readonly leaseExpiriesChecked: number;
  /** 1 when the checker ran out of steps before a verdict. */
  readonly historiesUndecided: number;
}

export interface SeedResult {
  readonly seed: number;
  readonly simulatedMs: number;
  readonly operations: number;
  readonly acknowledgedWrites: number;
  readonly elections: number;
  readonly faultsByKind: Readonly<Record<string, number>>;
  readonly snapshotsTaken: number;
  readonly snapshotsInstalled: number;
  readonly violations: readonly SafetyViolation[];
  /** Trace lines, when the run was traced. */
  readonly trace: readonly string[];
  readonly traceDigest: string;
  readonly replayCommand: string;
  readonly kv?: KvSeedFigures;
}

export function replayCommand(options: SeedOptions): string {
  const parts = [`trellis sim --seed ${options.seed} --nodes ${options.nodes} --simulated-ms ${options.simulatedMs}`, `--faults ${options.faults.join(',')}`];
  if (options.bugs !== undefined) {
    const bugs = Object.entries(options.bugs).filter(([, on]) => on === true).map(([name]) => name);
    if (bugs.length > 0) parts.push(`--bugs ${bugs.join(',')}`);
  }
  if (options.allowMajorityDown === true) parts.push('--allow-majority-down');
  if (options.meanFaultIntervalMs !== undefined) parts.push(`--fault-interval-ms ${options.meanFaultIntervalMs}`);
  if (options.datasyncLatencyMs !== undefined) parts.push(`--datasync-ms ${options.datasyncLatencyMs}`);
  if (options.maxEntriesPerAppend !== undefined) parts.push(`--max-entries-per-append ${options.maxEntriesPerAppend}`);
  if (options.snapshotEntries !== undefined) parts.push(`--snapshot-entries ${options.snapshotEntries}`);
  if (options.clients !== undefined) parts.push(`--clients ${options.clients}`);
  if (options.staleReads === true) parts.push('--stale-reads');
  if (options.maxClockJumpMs !== undefined) parts.push(`--max-clock-jump-ms ${options.maxClockJumpMs}`);
  if (options.sessionIdleMs !== undefined) parts.push(`--session-idle-ms ${options.sessionIdleMs}`);
  parts.push(`--store ${options.store ?? 'registers'}`);
  return parts.join(' ');
}

export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const initial = planetNames.slice(0, options.nodes);
  const spares = planetNames.slice(options.nodes);
  const cluster = new RaftCluster({
    seed: options.seed,
    nodes: initial,
    world: { trace: { enabled: options.trace === true }, disk: { datasyncLatencyMs: options.datasyncLatencyMs } },
    raft: { bugs: options.bugs, maxEntriesPerAppend: options.maxEntriesPerAppend ?? 8 },
    limits: { snapshotEntries: options.snapshotEntries ?? 200 },
    storageOptions: { wal: { segmentSizeBytes: 16 * 1024 } },
  });
  const world = cluster.world;
  const monitor = cluster.monitor;
  const retired = new Set<string>();
  const members = new Set<NodeId>(initial.map(nodeId));

  const faultsByKind: Record<string, number> = {};
  scheduleSwarmFaults(cluster, options, initial, retired, faultsByKind);

  const workload = new Workload(
    {
      nowMs: () => world.nowMs(),
      after: (delayMs, action) => {
        world.after(delayMs, 'client', action);
      },
      members: () => [...members],
      propose: (member, command, timeoutMs, done) => cluster.propose(member, command, timeoutMs, done),
      read: (member, key, timeoutMs, done) =>
        options.staleReads === true ? cluster.readStale(member, key, done) : cluster.read(member, key, timeoutMs, done),
    },
    world.forkRandom('workload'),
    { ...defaultWorkloadOptions, clients: options.clients ?? defaultWorkloadOptions.clients },
  );
  workload.start();

  const membership = options.faults.includes('membership')
    ? new MembershipChanger(cluster, world.forkRandom('faults'), initial, spares, members, retired, (kind) => {
      faultsByKind[kind] = (faultsByKind[kind] ?? 0) + 1;
    })
    : null;
  membership?.start(windowStartMs, options.simulatedMs);

  // Which client writes took effect anywhere: state machine safety makes "anywhere" mean "everywhere, eventually".
  const appliedRequests = new Set<string>();
  let highestRecorded = 0;
  const recordApplied = (index: number, data: Uint8Array): void => {
    if (index <= highestRecorded) return;
    highestRecorded = index;
    const id = decodeKvCommand(data)?.id;
    if (id !== undefined) appliedRequests.add(id);
  };
  const snapshots = { taken: 0, installed: 0 };
  cluster.addObserver({
    applied: (_node, entry) => entry.kind === 'normal' && recordApplied(entry.index, entry.data),
    snapshotTaken: () => snapshots.taken++,
    persisted: (_node, work) => {
      if (work.snapshot !== null) snapshots.installed++;
    },
  });

  try {
    await world.runFor(options.simulatedMs);
    // Heal: every fault ends, every member runs, clients finish what they started.
    membership?.stop();
    workload.stop();
    healEverything(cluster, retired);
    const settleLimitMs = options.settleLimitMs ?? 30_000;
    const settled = await world.runUntil(() => workload.pending === 0 && converged(cluster), { limitMs: settleLimitMs });
    if (!settled) {
      monitor.report('liveness', `after heal the cluster did not settle within ${settleLimitMs} ms: ${describeProgress(cluster, members, workload.pending)}`);
    } else {
      compareStates(cluster);
    }
  } catch (error) {
    monitor.report('node-failure', `the run stopped: ${describeError(error)}`);
  }

  for (const id of cluster.machines()) {
    const node = cluster.node(id);
    const fatal = node?.fatalError;
    if (fatal !== undefined && fatal !== null && !isExpectedFailure(fatal)) monitor.report('node-failure', `${id} stopped: ${describeError(fatal)}`);
  }
  for (const { node, error } of cluster.failedBoots) {
    if (!isExpectedFailure(error)) monitor.report('node-failure', `${node} failed to boot: ${describeError(error)}`);
  }
  for (const requestId of workload.acknowledgedWrites) {
    if (!appliedRequests.has(requestId)) {
      monitor.report('durability', `write ${requestId} was acknowledged but no node applied it`);
      break;
    }
  }
  // A write whose fate the client never learned, and that no node applied, never happened.
  const history = workload.history.filter((operation) => {
    const requestId = workload.unknownWrites.get(operation);
    return requestId === undefined || appliedRequests.has(requestId);
  });
  const verdict = checkLinearizability(kvRegistersModel(), history, { maxSteps: 2_000_000 });
  if (verdict.verdict === 'violation') monitor.report('linearizability', verdict.violation.text);

  return {
    seed: options.seed,
    simulatedMs: world.nowMs(),
    operations: workload.statistics.issued,
    acknowledgedWrites: workload.acknowledgedWrites.size,
    elections: monitor.leadersElected,
    faultsByKind,
    snapshotsTaken: snapshots.taken,
    snapshotsInstalled: snapshots.installed,
    violations: monitor.violations,
    trace: world.trace.enabled ? world.trace.lines() : [],
    traceDigest: world.trace.digest(),
    replayCommand: replayCommand(options),
  };
}

/**
 * Plans the seed's faults and schedules them on the cluster, with the
 * supervisor that restarts stopped nodes, power losses and slow links;
 * counts what was injected into faultsByKind. Membership changes are the
 * caller's, since they depend on the cluster's API.
 */
export function scheduleSwarmFaults(
  cluster: SupervisedCluster,
  options: Pick<SeedOptions, 'faults' | 'simulatedMs' | 'meanFaultIntervalMs' | 'allowMajorityDown' | 'maxClockJumpMs'> & { readonly maxDriftPpm?: number },
  initial: readonly string[],
  retired: ReadonlySet<string>,
  faultsByKind: Record<string, number>,
): void {
  const world = cluster.world;
  const faultPlanKinds = options.faults.filter((kind): kind is FaultKind => !swarmOnlyKinds.includes(kind));
  const plan: ScheduledFault[] = faultPlanKinds.length === 0 ? [] : generateFaultSchedule({
    random: world.forkRandom('faults'),
    nodes: initial,
    startMs: windowStartMs,
    endMs: options.simulatedMs,
    faults: faultPlanKinds,
    meanIntervalMs: options.meanFaultIntervalMs ?? 1_500,
    allowMajorityDown: options.allowMajorityDown,
    ...(options.maxDriftPpm === undefined ? {} : { maxDriftPpm: options.maxDriftPpm }),
    ...(options.maxClockJumpMs === undefined ? {} : { maxClockJumpMs: options.maxClockJumpMs }),
  });
  for (const { atMs, action } of plan) {
    world.at(atMs, describeFault(action), () => {
      if (applySwarmFault(cluster, action, retired)) faultsByKind[action.kind] = (faultsByKind[action.kind] ?? 0) + 1;
    });
  }
  superviseNodes(cluster, retired);
  if (options.faults.includes('power-loss')) {
    // Alone it is drawn as often as the other faults; in a mix, rarely, since it takes the whole cluster down.
    const meanIntervalMs = faultPlanKinds.length === 0 ? (options.meanFaultIntervalMs ?? 1_500) : 15_000;
    schedulePowerLosses(cluster, world.forkRandom('faults'), { startMs: windowStartMs, endMs: options.simulatedMs, meanIntervalMs }, retired, () => {
      faultsByKind['power-loss'] = (faultsByKind['power-loss'] ?? 0) + 1;
    });
  }
  if (options.faults.includes('slow-link')) {
    const meanIntervalMs = faultPlanKinds.length === 0 ? (options.meanFaultIntervalMs ?? 1_500) : 10_000;
    scheduleSlowLinks(cluster, world.forkRandom('faults'), { startMs: windowStartMs, endMs: options.simulatedMs, meanIntervalMs }, retired, () => {
      faultsByKind['slow-link'] = (faultsByKind['slow-link'] ?? 0) + 1;
    });
  }
}

/** Every member in the leader's config runs and has applied everything the leader committed. */
function converged(cluster: RaftCluster): boolean {
  const leader = cluster.leader();
  if (leader === null) return false;
  const leaderStatus = cluster.node(leader)!.status();
  if (leaderStatus.machineAppliedIndex < leaderStatus.commitIndex) return false;
  for (const id of configMembers(leaderStatus.config)) {
    const node = cluster.node(id);
    if (node === undefined || node.isStopped) return false;
    if (node.status().machineAppliedIndex !== leaderStatus.commitIndex) return false;
  }
  return true;
}

/** Members that applied the same prefix hold the same state, however they got there (entries or snapshots). */
function compareStates(cluster: RaftCluster): void {
  const leader = cluster.leader()!;
  const reference = JSON.stringify(cluster.node(leader)!.machine.entries());
  for (const id of configMembers(cluster.node(leader)!.status().config)) {
    if (JSON.stringify(cluster.node(id)!.machine.entries()) !== reference) {
      cluster.monitor.report('state-machine-safety', `${id} and ${leader} applied the same ${cluster.node(id)!.status().machineAppliedIndex} entries but hold different states`);
    }
  }
}

function describeProgress(cluster: RaftCluster, members: ReadonlySet<NodeId>, pending: number): string {
  const parts = [`${pending} client request(s) pending`, `leader ${cluster.leader() ?? 'none'}`];
  for (const id of members) {
    const node = cluster.node(id);
    if (node === undefined) {
      parts.push(`${id}: ${cluster.world.status(id)}, no process`);
      continue;
    }
    const status = node.status();
    parts.push(`${id}: ${status.role} t${status.term} commit ${status.commitIndex} applied ${status.machineAppliedIndex}${status.stoppedReason === null ? '' : ` stopped (${status.stoppedReason})`}`);
  }
  return parts.join('; ');
}

/** Disk faults are injected on purpose: a node that fail-stops on one did the right thing. */
export function isExpectedFailure(error: unknown): boolean {
  if (error instanceof InvariantViolation) return false;
  if (error instanceof DiskError || error instanceof LogFailedError) return true;
  return error instanceof Error && error.cause !== undefined && isExpectedFailure(error.cause);
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined ? '' : ` (cause: ${describeError(error.cause)})`;
  return `${error.name}: ${error.message}${cause}`;
}
