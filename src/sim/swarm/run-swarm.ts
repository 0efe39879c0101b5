// The swarm: many seeds, one run each, and a summary for `trellis sim` and CI.
// A failing seed is run a second time with tracing on, so its report carries
// the trace the CLI writes to sim-traces/seed-N.trace and the command that
// replays it. Files and wall-clock timing are the caller's business: this
// module stays deterministic.

import { fail } from '../../assert.js';
import type { PlantedBugs } from '../../consensus/options.js';
import { runCoreSeed } from './core-run-seed.js';
import { type KvSeedFigures, type SeedOptions, type SeedResult, type SwarmFaultKind, type SwarmStore, replayCommand, runSeed, swarmFaultKinds } from './run-seed.js';
import type { SafetyViolation } from './safety-monitor.js';

export interface SwarmOptions {
  /** Seeds to run: a count (seeds firstSeed .. firstSeed + count - 1) or an explicit list. */
  readonly seeds: number | readonly number[];
  readonly firstSeed?: number;
  readonly nodes?: number;
  readonly faults?: readonly SwarmFaultKind[];
  readonly simulatedMs?: number;
  readonly clients?: number;
  readonly bugs?: PlantedBugs;
  readonly allowMajorityDown?: boolean;
  readonly meanFaultIntervalMs?: number;
  readonly datasyncLatencyMs?: number;
  readonly maxEntriesPerAppend?: number;
  readonly snapshotEntries?: number;
  /** Serve reads without ReadIndex, on purpose (see SeedOptions.staleReads). */
  readonly staleReads?: boolean;
  /** What the cluster replicates: registers (the default) or the consistent core's key-value store. */
  readonly store?: SwarmStore;
  /** Largest wall-clock jump of a clock-jump fault (see SeedOptions). */
  readonly maxClockJumpMs?: number;
  /** kv only: sessions' idle limit by the log's clock (see SeedOptions). */
  readonly sessionIdleMs?: number;
  /** Stop at the first failing seed (the planted-bug tests want that). */
  readonly stopAtFirstFailure?: boolean;
  /** Re-run failing seeds with tracing on and include the trace (default true). */
  readonly traceFailures?: boolean;
  /** Called after each seed, e.g. to print progress or write a trace file. */
  readonly onProgress?: (result: SeedResult, done: number, total: number) => void;
}

export interface SeedFailure {
  readonly seed: number;
  readonly violations: readonly SafetyViolation[];
  readonly replayCommand: string;
  readonly trace: readonly string[];
}

export interface SwarmSummary {
  readonly seeds: number;
  readonly simulatedMs: number;
  readonly operations: number;
  readonly acknowledgedWrites: number;
  readonly elections: number;
  readonly snapshotsTaken: number;
  readonly snapshotsInstalled: number;
  readonly faultsByKind: Readonly<Record<string, number>>;
  readonly failures: readonly SeedFailure[];
  /** Totals of the key-value store's figures, when the swarm ran it. */
  readonly kv?: KvSeedFigures;
}

export const defaultSwarmSimulatedMs = 60_000;

export async function runSwarm(options: SwarmOptions): Promise<SwarmSummary> {
  const seeds = typeof options.seeds === 'number'
    ? Array.from({ length: options.seeds }, (_, i) => (options.firstSeed ?? 1) + i)
    : [...options.seeds];
  const nodes = options.nodes ?? 5;
  if (!(nodes === 3 || nodes === 5)) fail(`the swarm runs 3- or 5-node clusters, not ${nodes}`);
  const totals = { simulatedMs: 0, operations: 0, acknowledgedWrites: 0, elections: 0, snapshotsTaken: 0, snapshotsInstalled: 0 };
  const faultsByKind: Record<string, number> = {};
  const failures: SeedFailure[] = [];
  const run = options.store === 'kv' ? runCoreSeed : runSeed;
  let kv: Record<keyof KvSeedFigures, number> | undefined;
  let done = 0;
  for (const seed of seeds) {
    const seedOptions: SeedOptions = {
      seed,
      nodes,
      faults: options.faults ?? swarmFaultKinds,
      simulatedMs: options.simulatedMs ?? defaultSwarmSimulatedMs,
      clients: options.clients,
      bugs: options.bugs,
      allowMajorityDown: options.allowMajorityDown,
      meanFaultIntervalMs: options.meanFaultIntervalMs,
      datasyncLatencyMs: options.datasyncLatencyMs,
      maxEntriesPerAppend: options.maxEntriesPerAppend,
      snapshotEntries: options.snapshotEntries,
      staleReads: options.staleReads,
      ...(options.store === undefined ? {} : { store: options.store }),
      ...(options.maxClockJumpMs === undefined ? {} : { maxClockJumpMs: options.maxClockJumpMs }),
      ...(options.sessionIdleMs === undefined ? {} : { sessionIdleMs: options.sessionIdleMs }),
    };
    let result = await run(seedOptions);
    if (result.violations.length > 0 && options.traceFailures !== false) {
      const traced = await run({ ...seedOptions, trace: true });
      // One seed is one run: the traced replay must find what the untraced run found.
      if (!(traced.violations.length > 0)) fail(`seed ${seed} failed untraced but passed traced: the run is not deterministic (${replayCommand(seedOptions)})`);
      result = traced;
    }
    done++;
    totals.simulatedMs += result.simulatedMs;
    totals.operations += result.operations;
    totals.acknowledgedWrites += result.acknowledgedWrites;
    totals.elections += result.elections;
    totals.snapshotsTaken += result.snapshotsTaken;
    totals.snapshotsInstalled += result.snapshotsInstalled;
    for (const [kind, count] of Object.entries(result.faultsByKind)) faultsByKind[kind] = (faultsByKind[kind] ?? 0) + count;
    if (result.kv !== undefined) {
      const totals = (kv ??= Object.fromEntries(Object.keys(result.kv).map((name) => [name, 0])) as Record<keyof KvSeedFigures, number>);
      for (const [name, value] of Object.entries(result.kv) as [keyof KvSeedFigures, number][]) totals[name] += value;
    }
    if (result.violations.length > 0) {
      failures.push({ seed, violations: result.violations, replayCommand: result.replayCommand, trace: result.trace });
    }
    options.onProgress?.(result, done, seeds.length);
    if (failures.length > 0 && options.stopAtFirstFailure === true) break;
  }
  return { seeds: done, ...totals, faultsByKind, failures, ...(kv === undefined ? {} : { kv }) };
}
