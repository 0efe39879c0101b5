// `trellis bench etcd`: the same workloads, from the same load generator,
// against a 3-member cluster of each system, in alternation (A B A B), then
// a markdown table, a JSON file and an SVG chart under bench-results/<time>/.

import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcesses } from './child-processes.js';
import { deadMembers, firstExit, logTail, startCluster, stopCluster, type RunningCluster } from './cluster.js';
import { ensureLoadgen, runLoadgen, type LoadgenEvent } from './loadgen.js';
import { failedMeasurement, figuresOf, measurementFromOutcome, type Measurement } from './measurement.js';
import { estimatedSeconds, type EtcdBenchOptions } from './options.js';
import { BenchProgress } from './progress.js';
import type { BenchReport, SystemEntry } from './report.js';
import { formatMs, formatOpsPerS, renderMarkdown } from './report-markdown.js';
import { renderSvg } from './report-svg.js';
import { defaultClusterSettings, type BenchSystem, type ClusterSettings } from './systems.js';
import { loadgenRunArgs, type Workload } from './workloads.js';

const TMPFS_MAGIC = 0x01021994;
const READY_TIMEOUT_S = 60;
const PRELOAD_TIMEOUT_MS = 180_000;
/** What a workload may take beyond warm-up and window: connecting, and draining requests with a 10 s deadline. */
const WORKLOAD_SLACK_MS = 60_000;

export interface EtcdBenchRun {
  readonly report: BenchReport;
  readonly resultDir: string;
}

interface Context {
  readonly options: EtcdBenchOptions;
  readonly settings: ClusterSettings;
  readonly loadgen: string;
  readonly processes: ChildProcesses;
  readonly progress: BenchProgress;
  readonly dataRoot: string;
  readonly logDir: string;
}

export async function runEtcdBench(options: EtcdBenchOptions, registry: ReadonlyMap<string, BenchSystem>, progress = new BenchProgress()): Promise<EtcdBenchRun> {
  const systems: SystemEntry[] = options.systems.map((name) => {
    const unavailable = registry.get(name)!.unavailableReason();
    return unavailable === undefined ? { name } : { name, unavailable };
  });
  const runnable = systems.filter((s) => s.unavailable === undefined);
  for (const system of systems) {
    if (system.unavailable !== undefined) {
      progress.line(`${system.name} is not startable: ${system.unavailable}`);
      progress.line(runnable.length > 0 ? `  running ${runnable.map((s) => s.name).join(', ')} without it; the report says so` : '  nothing left to run');
    }
  }
  if (runnable.length === 0) throw new Error(`none of the systems can be started (${systems.map((s) => `${s.name}: ${s.unavailable}`).join('; ')})`);

  const loadgen = ensureLoadgen((line) => progress.line(line));
  const startedAt = new Date();
  const resultDir = resolve(options.outDir, startedAt.toISOString().replace(/[:.]/g, '-'));
  const logDir = join(resultDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(options.tmpDir, { recursive: true });
  const dataRoot = mkdtempSync(join(options.tmpDir, 'trellis-bench-'));
  if (statfsSync(dataRoot).type === TMPFS_MAGIC) progress.line(`warning: ${dataRoot} is on tmpfs, where fsync costs nothing; pass --tmp-dir on a real disk`);
  const processes = new ChildProcesses();
  processes.install();
  if (!options.keepData) processes.onCutShort(() => rmSync(dataRoot, { recursive: true, force: true }));
  processes.onCutShort(() => process.stderr.write(`what was measured before the stop: ${resultDir}/report.md\n`));
  const context: Context = { options, settings: defaultClusterSettings, loadgen, processes, progress, dataRoot, logDir };
  const loadAverageBefore = loadavg();
  const measurements: Measurement[] = [];
  progress.line(`trellis bench etcd: ${runnable.map((s) => s.name).join(' vs ')}; ${options.workloads.map((w) => w.name).join(', ')}; ${options.rounds} round(s) of ${options.durationS} s per workload after ${options.warmupS} s warm-up; about ${Math.ceil(estimatedSeconds({ ...options, systems: runnable.map((s) => s.name) }) / 60)} min`);
  progress.line(`  data under ${dataRoot}, member logs and results under ${resultDir}`);
  const reportSoFar = (finished: boolean): BenchReport => ({
    startedAt: startedAt.toISOString(),
    finishedAt: finished ? new Date().toISOString() : '(still running, or cut short)',
    systems,
    workloads: options.workloads,
    rounds: options.rounds,
    durationS: options.durationS,
    warmupS: options.warmupS,
    keys: options.keys,
    valueBytes: options.valueBytes,
    settings: defaultClusterSettings,
    machine: { cpus: cpus().length, loadAverageBefore, loadAverageAfter: loadavg(), dataDir: options.tmpDir },
    loadgen: { program: 'bench/loadgen (Go, etcd\'s generated gRPC stubs, no clientv3 retry layer)', goMaxProcs: options.loadgenProcs },
    measurements,
  });
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const system of runnable) {
        measurements.push(...(await measureCluster(context, registry.get(system.name)!, round)));
        // Written after every cluster, so a run cut short by Ctrl-C keeps what it measured.
        writeReport(resultDir, reportSoFar(false));
      }
    }
  } finally {
    processes.killAllNow();
    processes.dispose();
    if (!options.keepData) rmSync(dataRoot, { recursive: true, force: true });
  }
  const report = reportSoFar(true);
  writeReport(resultDir, report);
  return { report, resultDir };
}

function writeReport(resultDir: string, report: BenchReport): void {
  writeFileSync(join(resultDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultDir, 'report.md'), renderMarkdown(report));
  writeFileSync(join(resultDir, 'chart.svg'), renderSvg(report));
}

async function measureCluster(context: Context, system: BenchSystem, round: number): Promise<Measurement[]> {
  const { options, progress, processes } = context;
  const label = `${system.name}-r${round}`;
  const tag = `[round ${round}/${options.rounds} · ${system.name}]`;
  const failAll = (from: number, why: string): Measurement[] => options.workloads.slice(from).map((w) => failedMeasurement(system.name, round, w.name, why));
  progress.line(`${tag} starting 3 members`);
  let cluster: RunningCluster | undefined;
  const results: Measurement[] = [];
  try {
    cluster = await startCluster({ system, settings: context.settings, dataRoot: join(context.dataRoot, label), logDir: context.logDir, label, processes });
    // A member that exits while the cluster comes up ends the wait at once (a bad flag, a crash on start).
    const ready = await runLoadgen({ ...loadgenBase(context, cluster), args: ['-mode', 'ready', '-endpoints', cluster.endpoints.join(','), '-ready-timeout-s', String(READY_TIMEOUT_S)], timeoutMs: (READY_TIMEOUT_S + 10) * 1000, cancelWhen: firstExit(cluster).then((who) => `${who} before the cluster was ready`) });
    progress.line(`${tag} ready after ${Number(ready.events.find((e) => e.event === 'ready')?.seconds ?? 0).toFixed(1)} s (${cluster.endpoints.join(', ')})`);
    let preloaded = false;
    for (const [index, workload] of options.workloads.entries()) {
      if (workload.needsPreload && !preloaded) {
        const preload = await runLoadgen({ ...loadgenBase(context, cluster), args: ['-mode', 'preload', '-endpoints', cluster.endpoints.join(','), '-keys', String(options.keys), '-value-bytes', String(options.valueBytes), '-inflight', '64'], timeoutMs: PRELOAD_TIMEOUT_MS });
        progress.line(`${tag} preloaded ${options.keys} keys in ${Number(preload.events.find((e) => e.event === 'preloaded')?.seconds ?? 0).toFixed(1)} s`);
        preloaded = true;
      }
      const measurement = await measureWorkload(context, cluster, workload, round, tag);
      results.push(measurement);
      const dead = deadMembers(cluster);
      if (dead.length > 0) {
        const why = `member(s) died during ${workload.name}: ${dead.map((d) => d.summary).join('; ')}`;
        progress.line(`${tag} ${why}\n${dead.map((d) => d.tails).join('\n')}`);
        return [...results, ...failAll(index + 1, why)];
      }
    }
    return results;
  } catch (error) {
    const dead = cluster === undefined ? [] : deadMembers(cluster);
    const why = `${(error as Error).message}${dead.length > 0 ? `; ${dead.map((d) => d.summary).join('; ')}` : ''}`;
    const first = cluster?.members[0];
    const tails = dead.length > 0 ? dead.map((d) => d.tails).join('\n') : first !== undefined ? `end of ${first.logPath}:\n${logTail(first.logPath)}` : '';
    progress.line(`${tag} failed: ${why}${tails !== '' ? `\n${tails}` : ''}`);
    return [...results, ...failAll(results.length, why)];
  } finally {
    if (cluster !== undefined) await stopCluster(cluster, processes);
    if (!options.keepData) rmSync(join(context.dataRoot, label), { recursive: true, force: true });
  }
}

function loadgenBase(context: Context, cluster: RunningCluster): { binary: string; samplePids: readonly number[]; processes: ChildProcesses; goMaxProcs: number } {
  return { binary: context.loadgen, samplePids: cluster.pids, processes: context.processes, goMaxProcs: context.options.loadgenProcs };
}

async function measureWorkload(context: Context, cluster: RunningCluster, workload: Workload, round: number, tag: string): Promise<Measurement> {
  const { options, progress } = context;
  const name = workload.name.padEnd(9);
  progress.line(`${tag} ${name} ${workload.title}: ${options.warmupS} s warm-up, ${options.durationS} s measured`);
  const onEvent = (event: LoadgenEvent): void => {
    if (event.event !== 'progress') return;
    const elapsedS = Number(event.elapsedS);
    progress.live(`${tag} ${name} ${elapsedS.toFixed(0)}/${options.durationS} s  ${formatOpsPerS(Number(event.ops) / elapsedS)} ${workload.unit}/s  ${Number(event.errors)} errors`, elapsedS * 1000);
  };
  try {
    const outcome = await runLoadgen({
      ...loadgenBase(context, cluster),
      args: loadgenRunArgs(workload, options, cluster.endpoints),
      timeoutMs: (options.warmupS + options.durationS) * 1000 + WORKLOAD_SLACK_MS,
      onEvent,
    });
    const measurement = measurementFromOutcome(cluster.system.name, round, workload.name, outcome);
    const figures = figuresOf([measurement]);
    progress.line(`${tag} ${name} ${formatOpsPerS(figures?.opsPerS ?? 0)} ${workload.unit}/s  p50 ${formatMs(figures?.latencyMs?.p50)} ms  p99 ${formatMs(figures?.latencyMs?.p99)} ms  p99.9 ${formatMs(figures?.latencyMs?.p999)} ms  server ${figures?.serverCpuSPer1kOps?.toFixed(3) ?? '–'} CPU-s/1k  loadgen ${figures?.clientCpuSPer1kOps?.toFixed(3) ?? '–'} CPU-s/1k${measurement.errors > 0 ? `  ${measurement.errors} errors (${measurement.firstError ?? ''})` : ''}`);
    return measurement;
  } catch (error) {
    progress.line(`${tag} ${name} failed: ${(error as Error).message}`);
    return failedMeasurement(cluster.system.name, round, workload.name, (error as Error).message);
  }
}
