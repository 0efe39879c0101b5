// The options of `trellis bench etcd`, checked before anything starts: a bad
// flag is refused with a message naming it, and nothing runs.

import { workloadByName, WORKLOADS, type Workload } from './workloads.js';

export interface EtcdBenchOptions {
  readonly systems: readonly string[];
  readonly workloads: readonly Workload[];
  readonly rounds: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly outDir: string;
  readonly tmpDir: string;
  readonly keepData: boolean;
  readonly loadgenProcs: number;
}

/** As commander hands them over: strings, except the flags that are booleans. */
export interface RawEtcdBenchOptions {
  readonly systems: string;
  readonly workloads: string;
  readonly rounds: string;
  readonly durationS: string;
  readonly warmupS: string;
  readonly keys: string;
  readonly valueBytes: string;
  readonly outDir: string;
  readonly tmpDir: string;
  readonly keepData: boolean;
  readonly loadgenProcs: string;
}

export class BenchOptionError extends Error {}

function list(flag: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new BenchOptionError(`${flag} needs at least one name, got "${text}"`);
  return items;
}

function seconds(flag: string, text: string, { min, max }: { min: number; max: number }): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new BenchOptionError(`${flag} must be a number of seconds from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function whole(flag: string, text: string, { min, max }: { min: number; max: number }): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new BenchOptionError(`${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** The names --systems gives, each known and none twice. */
export function parseSystemNames(text: string, knownSystems: readonly string[]): string[] {
  const systems = list('--systems', text);
  for (const name of systems) {
    if (!knownSystems.includes(name)) throw new BenchOptionError(`--systems: unknown system "${name}"; choose from ${knownSystems.join(', ')}`);
  }
  if (new Set(systems).size !== systems.length) throw new BenchOptionError(`--systems names a system twice ("${text}"); to run etcd against itself use --systems etcd,etcd-b`);
  return systems;
}

export function parseEtcdBenchOptions(raw: RawEtcdBenchOptions, knownSystems: readonly string[]): EtcdBenchOptions {
  const systems = parseSystemNames(raw.systems, knownSystems);
  if (systems.length > 2) throw new BenchOptionError(`--systems compares at most two systems (A and B), got ${systems.length}`);
  const workloads = list('--workloads', raw.workloads).map((name) => {
    const workload = workloadByName(name);
    if (workload === undefined) throw new BenchOptionError(`--workloads: unknown workload "${name}"; choose from ${WORKLOADS.map((w) => w.name).join(', ')}`);
    return workload;
  });
  if (new Set(workloads).size !== workloads.length) throw new BenchOptionError(`--workloads names a workload twice ("${raw.workloads}")`);
  return {
    systems,
    // Run in the order whatever order they were named in, so every run reads the same way.
    workloads: WORKLOADS.filter((w) => workloads.includes(w)),
    rounds: whole('--rounds', raw.rounds, { min: 1, max: 10 }),
    durationS: seconds('--duration-s', raw.durationS, { min: 0.5, max: 600 }),
    warmupS: seconds('--warmup-s', raw.warmupS, { min: 0, max: 120 }),
    keys: whole('--keys', raw.keys, { min: 1, max: 1_000_000 }),
    valueBytes: whole('--value-bytes', raw.valueBytes, { min: 8, max: 1024 * 1024 }),
    outDir: raw.outDir,
    tmpDir: raw.tmpDir,
    keepData: raw.keepData,
    loadgenProcs: whole('--loadgen-procs', raw.loadgenProcs, { min: 1, max: 64 }),
  };
}

/** Roughly how long a run takes, to say up front (cluster starts, preloads and drains included). */
export function estimatedSeconds(options: EtcdBenchOptions): number {
  const perWorkload = options.warmupS + options.durationS + 1;
  const perCluster = 5 + (options.workloads.some((w) => w.needsPreload) ? 5 : 0) + options.workloads.length * perWorkload;
  return Math.ceil(options.rounds * options.systems.length * perCluster);
}
