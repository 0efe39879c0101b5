// One workload measured once against one system, and the figures the report
// shows: per round, and over all rounds of a system together.

import { emptyHistogram, mergeHistograms, summarizeMs, type LatencyHistogram, type LatencySummaryMs } from './histogram.js';
import type { LoadgenOutcome } from './loadgen.js';

export interface Measurement {
  readonly system: string;
  readonly round: number;
  readonly workload: string;
  /** Why nothing was measured (the cluster did not start, a member died, the generator failed). */
  readonly failure?: string;
  readonly windowS: number;
  /** Operations that succeeded in the window (for watch: events delivered to all watchers). */
  readonly ops: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Watch only: puts the writer made in the window. */
  readonly writes?: number;
  /** Reads that found no value (a sign the preload went wrong). */
  readonly emptyReads?: number;
  readonly latency: LatencyHistogram;
  /** CPU-seconds in the window: summed over the servers' processes, and the load generator's own. */
  readonly serverCpuS: number;
  readonly clientCpuS: number;
}

export function failedMeasurement(system: string, round: number, workload: string, failure: string): Measurement {
  return { system, round, workload, failure, windowS: 0, ops: 0, errors: 0, latency: emptyHistogram, serverCpuS: 0, clientCpuS: 0 };
}

function numberField(result: Record<string, unknown>, field: string): number {
  const value = result[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`the load generator's result has no valid "${field}": ${JSON.stringify(value)}`);
  return value;
}

/** Reads the generator's result line; throws, naming the field, if it is not what the generator writes. */
export function measurementFromOutcome(system: string, round: number, workload: string, outcome: LoadgenOutcome): Measurement {
  const result = outcome.events.find((e) => e.event === 'result') as Record<string, unknown> | undefined;
  if (result === undefined) throw new Error('the load generator finished without a result line');
  const latency = result.latencyUs as { buckets?: unknown; count?: unknown; sumUs?: unknown; maxUs?: unknown } | undefined;
  if (latency === undefined || !Array.isArray(latency.buckets)) throw new Error('the load generator\'s result has no latency histogram');
  const buckets = latency.buckets.map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new Error(`bad histogram bucket ${JSON.stringify(pair)}`);
    return [pair[0] as number, pair[1] as number] as const;
  });
  const firstError = typeof result.firstError === 'string' && result.firstError !== '' ? result.firstError : undefined;
  return {
    system,
    round,
    workload,
    windowS: numberField(result, 'windowS'),
    ops: numberField(result, 'ops'),
    errors: numberField(result, 'errors'),
    ...(firstError !== undefined ? { firstError } : {}),
    ...(result.writes !== undefined ? { writes: numberField(result, 'writes') } : {}),
    ...(result.emptyReads !== undefined ? { emptyReads: numberField(result, 'emptyReads') } : {}),
    latency: { buckets, count: Number(latency.count), sumUs: Number(latency.sumUs), maxUs: Number(latency.maxUs) },
    serverCpuS: outcome.serverCpuS,
    clientCpuS: outcome.clientCpuS,
  };
}

export interface Figures {
  readonly rounds: number;
  readonly opsPerS: number;
  /** Each round's throughput, in round order. */
  readonly opsPerSByRound: readonly number[];
  readonly writesPerS?: number;
  readonly errors: number;
  readonly latencyMs?: LatencySummaryMs;
  readonly serverCpuSPer1kOps?: number;
  readonly clientCpuSPer1kOps?: number;
  /** Average cores busy in the window. */
  readonly serverCores: number;
  readonly clientCores: number;
}

/** The figures of one system on one workload over the rounds that measured something; undefined when none did. */
export function figuresOf(measurements: readonly Measurement[]): Figures | undefined {
  const ok = measurements.filter((m) => m.failure === undefined && m.windowS > 0).sort((a, b) => a.round - b.round);
  if (ok.length === 0) return undefined;
  const total = (pick: (m: Measurement) => number): number => ok.reduce((sum, m) => sum + pick(m), 0);
  const windowS = total((m) => m.windowS);
  const ops = total((m) => m.ops);
  const latency = summarizeMs(mergeHistograms(ok.map((m) => m.latency)));
  const withWrites = ok.every((m) => m.writes !== undefined);
  return {
    rounds: ok.length,
    opsPerS: ops / windowS,
    opsPerSByRound: ok.map((m) => m.ops / m.windowS),
    ...(withWrites ? { writesPerS: total((m) => m.writes ?? 0) / windowS } : {}),
    errors: total((m) => m.errors),
    ...(latency !== undefined ? { latencyMs: latency } : {}),
    ...(ops > 0 ? { serverCpuSPer1kOps: (total((m) => m.serverCpuS) / ops) * 1000, clientCpuSPer1kOps: (total((m) => m.clientCpuS) / ops) * 1000 } : {}),
    serverCores: total((m) => m.serverCpuS) / windowS,
    clientCores: total((m) => m.clientCpuS) / windowS,
  };
}

/** How far apart a system's rounds are: (max - min) / mean; undefined with fewer than two rounds. */
export function spread(values: readonly number[]): number | undefined {
  if (values.length < 2) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return undefined;
  return (Math.max(...values) - Math.min(...values)) / mean;
}

/** b / a, or undefined when either is missing or a is zero. */
export function ratio(b: number | undefined, a: number | undefined): number | undefined {
  if (a === undefined || b === undefined || a === 0) return undefined;
  return b / a;
}
