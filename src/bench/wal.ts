// How much group commit buys on this machine's disk. The baseline is what
// any naive log gets: one 4 KiB write and one fdatasync per record. The log
// should approach that latency with one appender and multiply the throughput
// with many, because concurrent appends share each fdatasync.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WriteAheadLog } from '../log/write-ahead-log.js';
import type { DiskFile } from '../runtime/disk.js';
import { NodeDisk } from '../runtime/node/node-disk.js';

export interface WalBenchOptions {
  /** A directory on the disk to measure; the bench creates and removes its files under it. */
  readonly directory: string;
  /** Total time for all phases. */
  readonly durationMs: number;
  readonly out: (line: string) => void;
  /** Concurrent appenders per phase. Default [1, 16, 256]. */
  readonly appenderCounts?: readonly number[];
  /** Record data size. Default 256. */
  readonly recordBytes?: number;
}

export interface WalBenchRun {
  readonly appenders: number;
  readonly recordsPerSecond: number;
  readonly datasyncsPerSecond: number;
  readonly p50LatencyMs: number;
  readonly p99LatencyMs: number;
  /** recordsPerSecond divided by the raw fdatasync rate. */
  readonly throughputRatio: number;
  /** p50 append latency divided by the p50 of one raw 4 KiB write + fdatasync. */
  readonly latencyRatio: number;
}

export interface WalBenchResult {
  readonly rawDatasyncsPerSecond: number;
  readonly rawP50LatencyMs: number;
  readonly rawP99LatencyMs: number;
  readonly runs: readonly WalBenchRun[];
}

/** Phases alternate in slices of this length, so a disk whose speed drifts (a shared VM's does) is fair to each. */
const SLICE_MS = 250;

export async function runWalBench(options: WalBenchOptions): Promise<WalBenchResult> {
  const appenderCounts = options.appenderCounts ?? [1, 16, 256];
  const recordBytes = options.recordBytes ?? 256;
  const rounds = Math.max(1, Math.round(options.durationMs / SLICE_MS / (appenderCounts.length + 1)));
  const root = join(options.directory, `wal-bench-${process.pid}`);
  await mkdir(root, { recursive: true });
  const disk = new NodeDisk({ root });
  const raw = new RawDatasyncLoop(await disk.open('raw', { create: true }));
  const logs = await Promise.all(appenderCounts.map((appenders) => WriteAheadLog.open(disk, `wal-${appenders}`)));
  const measured = appenderCounts.map(() => emptyMeasurement());
  const rawMeasured = emptyMeasurement();
  try {
    for (let round = 0; round < rounds; round++) {
      await raw.run(SLICE_MS, rawMeasured);
      for (const [n, appenders] of appenderCounts.entries()) {
        await measureAppends(logs[n]!, appenders, recordBytes, SLICE_MS, measured[n]!);
      }
    }
    const rawRate = rawMeasured.count / (rawMeasured.elapsedMs / 1000);
    const rawP50 = percentile(rawMeasured.latenciesMs, 0.5);
    const rawP99 = percentile(rawMeasured.latenciesMs, 0.99);
    options.out(`raw 4 KiB write+fdatasync: ${rawRate.toFixed(0)}/s, p50 ${rawP50.toFixed(3)} ms, p99 ${rawP99.toFixed(3)} ms (${rounds} slices of ${SLICE_MS} ms per phase)`);
    const runs = appenderCounts.map((appenders, n): WalBenchRun => {
      const run = measured[n]!;
      const recordsPerSecond = run.count / (run.elapsedMs / 1000);
      const p50LatencyMs = percentile(run.latenciesMs, 0.5);
      const result = {
        appenders,
        recordsPerSecond,
        datasyncsPerSecond: run.batches / (run.elapsedMs / 1000),
        p50LatencyMs,
        p99LatencyMs: percentile(run.latenciesMs, 0.99),
        throughputRatio: recordsPerSecond / rawRate,
        latencyRatio: p50LatencyMs / rawP50,
      };
      options.out(
        `wal ${String(appenders).padStart(3)} appenders, ${recordBytes}-byte records: ${result.recordsPerSecond.toFixed(0)} records/s ` +
          `(${result.throughputRatio.toFixed(1)}x raw), ${result.datasyncsPerSecond.toFixed(0)} fdatasyncs/s, ` +
          `p50 ${result.p50LatencyMs.toFixed(3)} ms (${result.latencyRatio.toFixed(2)}x raw), p99 ${result.p99LatencyMs.toFixed(3)} ms`,
      );
      return result;
    });
    return { rawDatasyncsPerSecond: rawRate, rawP50LatencyMs: rawP50, rawP99LatencyMs: rawP99, runs };
  } finally {
    await raw.close();
    for (const log of logs) await log.close();
    await rm(root, { recursive: true, force: true });
  }
}

interface Measurement {
  count: number;
  batches: number;
  elapsedMs: number;
  latenciesMs: number[];
}

function emptyMeasurement(): Measurement {
  return { count: 0, batches: 0, elapsedMs: 0, latenciesMs: [] };
}

/** The naive log: one 4 KiB write and one fdatasync per record, at the end of a growing file, as the WAL writes. */
class RawDatasyncLoop {
  private readonly block = new Uint8Array(4096).fill(7);
  private positionBytes = 0;

  constructor(private readonly file: DiskFile) {}

  async run(durationMs: number, into: Measurement): Promise<void> {
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      const began = performance.now();
      await this.file.write(this.positionBytes, this.block);
      await this.file.datasync();
      into.latenciesMs.push(performance.now() - began);
      into.count++;
      into.batches++;
      this.positionBytes += this.block.length;
    }
    into.elapsedMs += performance.now() - start;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

async function measureAppends(wal: WriteAheadLog, appenders: number, recordBytes: number, durationMs: number, into: Measurement): Promise<void> {
  const data = new Uint8Array(recordBytes).fill(42);
  const firstIndex = wal.lastIndex + 1;
  const batchesBefore = wal.batchesWritten;
  const start = performance.now();
  const appender = async (): Promise<void> => {
    while (performance.now() - start < durationMs) {
      const began = performance.now();
      await wal.append([{ type: 1, data }]);
      into.latenciesMs.push(performance.now() - began);
    }
  };
  await Promise.all(Array.from({ length: appenders }, appender));
  into.elapsedMs += performance.now() - start;
  into.count += wal.lastIndex - firstIndex + 1;
  into.batches += wal.batchesWritten - batchesBefore;
}

function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}
