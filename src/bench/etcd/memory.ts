// `trellis bench memory`: how much memory a member needs to hold a large
// data set. For each system, one member (or three) on 127.0.0.1 (fsync on,
// the same settings as the etcd benchmark), loaded with `keys` distinct keys
// by the Go load generator (256 in flight, spread over the members); each
// member's resident set is read from /proc every second, during the load and
// while it settles afterwards. The figure is the largest any member reached:
// what each machine of the cluster must have.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ChildProcesses } from './child-processes.js';
import { deadMembers, firstExit, startCluster, stopCluster } from './cluster.js';
import { ensureLoadgen, runLoadgen } from './loadgen.js';
import { defaultClusterSettings, type BenchSystem } from './systems.js';

export interface MemoryBenchOptions {
  readonly systems: readonly BenchSystem[];
  readonly keys: number;
  readonly valueBytes: number;
  readonly inflight: number;
  readonly members: 1 | 3;
  /** Seconds of sampling after the load ends. */
  readonly settleS: number;
  readonly tmpDir: string;
  readonly logDir: string;
  readonly out: (line: string) => void;
}

export interface MemoryResult {
  readonly system: string;
  readonly keys: number;
  readonly members: number;
  readonly loadS: number;
  /** The largest resident set any member reached, during the load or after. */
  readonly maxRssBytes: number;
  /** The largest member's resident set at the end of the settling time. */
  readonly settledRssBytes: number;
}

const SAMPLE_INTERVAL_MS = 1_000;
const READY_TIMEOUT_S = 60;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** VmRSS from the text of /proc/<pid>/status, in bytes. */
export function parseVmRssBytes(status: string): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error('no VmRSS line in /proc/<pid>/status (has the process exited?)');
  return Number(match[1]) * 1024;
}

export async function runMemoryBench(options: MemoryBenchOptions): Promise<MemoryResult[]> {
  const loadgen = ensureLoadgen(options.out);
  const processes = new ChildProcesses();
  processes.install();
  const dataRoot = mkdtempSync(join(options.tmpDir, 'trellis-bench-memory-'));
  processes.onCutShort(() => rmSync(dataRoot, { recursive: true, force: true }));
  const results: MemoryResult[] = [];
  try {
    for (const system of options.systems) results.push(await measureOne(options, system, loadgen, processes, dataRoot));
  } finally {
    processes.killAllNow();
    processes.dispose();
    rmSync(dataRoot, { recursive: true, force: true });
  }
  return results;
}

async function measureOne(options: MemoryBenchOptions, system: BenchSystem, loadgen: string, processes: ChildProcesses, dataRoot: string): Promise<MemoryResult> {
  const label = `memory-${system.name}`;
  const cluster = await startCluster({ system, settings: defaultClusterSettings, dataRoot: join(dataRoot, label), logDir: options.logDir, label, processes, memberCount: options.members });
  const endpoints = cluster.endpoints.join(',');
  const base = { binary: loadgen, samplePids: cluster.pids, processes, goMaxProcs: 1 };
  let maxRssBytes = 0;
  let lastRssBytes = 0;
  const sample = (): void => {
    let largest = 0;
    for (const pid of cluster.pids) {
      try {
        largest = Math.max(largest, parseVmRssBytes(readFileSync(`/proc/${pid}/status`, 'utf8')));
      } catch {
        // The member exited: the load generator's failure, or the check after settling, says so.
      }
    }
    lastRssBytes = largest;
    maxRssBytes = Math.max(maxRssBytes, largest);
  };
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);
  try {
    await runLoadgen({ ...base, args: ['-mode', 'ready', '-endpoints', endpoints, '-ready-timeout-s', String(READY_TIMEOUT_S)], timeoutMs: (READY_TIMEOUT_S + 10) * 1000, cancelWhen: firstExit(cluster).then((who) => `${who} before it was ready`) });
    options.out(`${system.name}: loading ${options.keys.toLocaleString('en')} keys of ${options.valueBytes} bytes into ${options.members} member(s), ${options.inflight} in flight`);
    const preload = await runLoadgen({
      ...base,
      args: ['-mode', 'preload', '-endpoints', endpoints, '-keys', String(options.keys), '-value-bytes', String(options.valueBytes), '-inflight', String(options.inflight)],
      // A million keys take about a minute here; the bound only stops a run that hangs.
      timeoutMs: Math.max(120_000, options.keys / 2),
      cancelWhen: firstExit(cluster).then((who) => `${who} during the load`),
    });
    const loadS = Number(preload.events.find((e) => e.event === 'preloaded')?.seconds ?? 0);
    sample();
    options.out(`${system.name}: loaded in ${loadS.toFixed(1)} s, ${formatMiB(lastRssBytes)} resident; watching it settle for ${options.settleS} s`);
    await new Promise((resolve) => setTimeout(resolve, options.settleS * 1000));
    sample();
    // A member that died while settling would otherwise show as a small resident set.
    const dead = deadMembers(cluster);
    if (dead.length > 0) throw new Error(`${dead.map((d) => d.summary).join('; ')}\n${dead.map((d) => d.tails).join('\n')}`);
    return { system: system.name, keys: options.keys, members: options.members, loadS, maxRssBytes, settledRssBytes: lastRssBytes };
  } finally {
    clearInterval(sampler);
    await stopCluster(cluster, processes);
  }
}

export function formatMiB(bytes: number): string {
  return `${Math.round(bytes / MiB).toLocaleString('en')} MiB`;
}

export function renderMemoryTable(results: readonly MemoryResult[]): string {
  const lines = [
    '| system | keys | members | load (s) | largest resident set of a member | after settling | under 1 GiB |',
    '|---|--:|--:|--:|--:|--:|:-:|',
    ...results.map((r) => `| ${r.system} | ${r.keys.toLocaleString('en')} | ${r.members} | ${r.loadS.toFixed(1)} | ${formatMiB(r.maxRssBytes)} | ${formatMiB(r.settledRssBytes)} | ${r.maxRssBytes < GiB ? 'yes' : 'no'} |`),
  ];
  return lines.join('\n');
}
