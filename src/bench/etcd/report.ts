// What a run of `trellis bench etcd` found, as the JSON file keeps it, and the
// per-workload summary (figures per system, ratios B/A) both the markdown
// table and the chart are drawn from.

import { figuresOf, ratio, spread, type Figures, type Measurement } from './measurement.js';
import type { ClusterSettings } from './systems.js';
import type { Workload } from './workloads.js';

export interface SystemEntry {
  readonly name: string;
  /** Why it was not run, when it could not be started. */
  readonly unavailable?: string;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  /** A first, then B: ratios are B / A. */
  readonly systems: readonly SystemEntry[];
  readonly workloads: readonly Workload[];
  readonly rounds: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly settings: ClusterSettings;
  readonly machine: {
    readonly cpus: number;
    readonly loadAverageBefore: readonly number[];
    readonly loadAverageAfter: readonly number[];
    readonly dataDir: string;
  };
  readonly loadgen: { readonly program: string; readonly goMaxProcs: number };
  readonly measurements: readonly Measurement[];
}

export interface WorkloadRatios {
  readonly opsPerS?: number;
  readonly p50?: number;
  readonly p99?: number;
  readonly p999?: number;
  readonly serverCpuPerOp?: number;
}

export interface WorkloadSummary {
  readonly workload: Workload;
  /** In the report's system order; undefined where nothing was measured. */
  readonly figures: readonly { readonly system: string; readonly figures: Figures | undefined; readonly spread?: number }[];
  /** B / A, when both were measured. */
  readonly ratios?: WorkloadRatios;
}

export function summarize(report: BenchReport): WorkloadSummary[] {
  const ran = report.systems.filter((s) => s.unavailable === undefined);
  return report.workloads.map((workload) => {
    const figures = ran.map((system) => {
      const f = figuresOf(report.measurements.filter((m) => m.system === system.name && m.workload === workload.name));
      const s = f === undefined ? undefined : spread(f.opsPerSByRound);
      return { system: system.name, figures: f, ...(s !== undefined ? { spread: s } : {}) };
    });
    const [a, b] = figures.map((f) => f.figures);
    if (a === undefined || b === undefined) return { workload, figures };
    return {
      workload,
      figures,
      ratios: {
        opsPerS: ratio(b.opsPerS, a.opsPerS),
        p50: ratio(b.latencyMs?.p50, a.latencyMs?.p50),
        p99: ratio(b.latencyMs?.p99, a.latencyMs?.p99),
        p999: ratio(b.latencyMs?.p999, a.latencyMs?.p999),
        serverCpuPerOp: ratio(b.serverCpuSPer1kOps, a.serverCpuSPer1kOps),
      },
    };
  });
}

/** The load generator's CPU against the servers', over every successful measurement. */
export function loadgenShare(report: BenchReport): { clientCpuS: number; serverCpuS: number; ops: number; peakClientCores: number } {
  const ok = report.measurements.filter((m) => m.failure === undefined && m.windowS > 0);
  return {
    clientCpuS: ok.reduce((s, m) => s + m.clientCpuS, 0),
    serverCpuS: ok.reduce((s, m) => s + m.serverCpuS, 0),
    ops: ok.reduce((s, m) => s + m.ops, 0),
    peakClientCores: ok.reduce((peak, m) => Math.max(peak, m.clientCpuS / m.windowS), 0),
  };
}
