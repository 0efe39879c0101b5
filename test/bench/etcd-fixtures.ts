// A made-up run of `trellis bench etcd`, with round-number figures, for the
// report and chart tests.

import { histogramOf } from '../../src/bench/etcd/histogram.js';
import { failedMeasurement, type Measurement } from '../../src/bench/etcd/measurement.js';
import type { BenchReport, SystemEntry } from '../../src/bench/etcd/report.js';
import { defaultClusterSettings } from '../../src/bench/etcd/systems.js';
import { workloadByName } from '../../src/bench/etcd/workloads.js';

/** `count` latencies evenly spread from `fromUs` to `toUs`. */
export function spreadLatencies(count: number, fromUs: number, toUs: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round(fromUs + ((toUs - fromUs) * i) / Math.max(1, count - 1)));
}

export function measured(system: string, round: number, workload: string, figures: { ops: number; windowS: number; serverCpuS: number; clientCpuS: number; latenciesUs: number[]; writes?: number }): Measurement {
  return {
    system, round, workload,
    windowS: figures.windowS, ops: figures.ops, errors: 0,
    ...(figures.writes !== undefined ? { writes: figures.writes } : {}),
    latency: histogramOf(figures.latenciesUs),
    serverCpuS: figures.serverCpuS, clientCpuS: figures.clientCpuS,
  };
}

/**
 * etcd and trellis, two rounds each. put64: etcd does 3,000 and 3,400 puts/s,
 * trellis 4,000 and 4,400; trellis spends half the server CPU per put.
 * watch: trellis's second round failed.
 */
export function sampleReport(systems: readonly SystemEntry[] = [{ name: 'etcd' }, { name: 'trellis' }]): BenchReport {
  const put64 = (system: string, round: number, opsPerS: number, cpuPerOpS: number, p50Us: number): Measurement =>
    measured(system, round, 'put64', { ops: opsPerS * 10, windowS: 10, serverCpuS: opsPerS * 10 * cpuPerOpS, clientCpuS: opsPerS * 10 * 0.00005, latenciesUs: spreadLatencies(1000, p50Us / 2, p50Us * 1.5) });
  const watch = (system: string, round: number): Measurement =>
    measured(system, round, 'watch', { ops: 200_000, windowS: 10, serverCpuS: 6, clientCpuS: 2, writes: 2_000, latenciesUs: spreadLatencies(1000, 1_000, 9_000) });
  return {
    startedAt: '2026-12-02T04:00:00.000Z',
    finishedAt: '2026-12-02T04:10:00.000Z',
    systems,
    workloads: [workloadByName('put64')!, workloadByName('watch')!],
    rounds: 2, durationS: 10, warmupS: 2, keys: 10_000, valueBytes: 256,
    settings: defaultClusterSettings,
    machine: { cpus: 2, loadAverageBefore: [0.5, 0.4, 0.3], loadAverageAfter: [1.5, 1, 0.5], dataDir: '/tmp' },
    loadgen: { program: 'bench/loadgen', goMaxProcs: 1 },
    measurements: [
      put64('etcd', 1, 3_000, 0.0004, 20_000), watch('etcd', 1),
      put64('trellis', 1, 4_000, 0.0002, 10_000), watch('trellis', 1),
      put64('etcd', 2, 3_400, 0.0004, 20_000), watch('etcd', 2),
      put64('trellis', 2, 4_400, 0.0002, 10_000), failedMeasurement('trellis', 2, 'watch', 'member(s) died during watch: saturn exited (code 1)'),
    ],
  };
}
