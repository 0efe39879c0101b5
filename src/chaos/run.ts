// One chaos run, start to verdict: start the cluster, drive it with the
// workload while the nemesis runs its seeded episodes, heal everything, wait
// for recovery, read back what the cluster holds, judge, write the run
// directory.

import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SeededRandom } from '../runtime/random.js';
import { makeClient } from './clients.js';
import { Cluster, slotNames } from './cluster.js';
import { networkFor, planFaults, type FaultKind } from './faults.js';
import { readCommittedHistory, hashAllMembers, checkCompaction, lastSelectedRevision } from './final-phase.js';
import { fiuControl, removeFile, setClockOffset } from './host-faults.js';
import { HistoryRecorder, type RecordedOp } from './history.js';
import { perform, type KvWorkloadContext } from './kv-workload.js';
import { runEpisode, type FaultRecord, type NemesisContext } from './nemesis.js';
import { NetnsNetwork } from './netns-network.js';
import { ProxyNetwork, type ClusterNetwork } from './network.js';
import { writeRunDirectory, summarize, type RunSummary } from './report.js';
import { systemByName, type SystemSpec } from './system-spec.js';
import { judge, type RunRecord, type Verdict } from './verdict.js';
import { Workload } from './workload.js';

export interface ChaosOptions {
  readonly system: SystemSpec | string;
  readonly seed: number;
  readonly nodes: 3 | 5;
  readonly durationMs: number;
  readonly faults: readonly FaultKind[];
  /** Where run directories go; each run gets <system>-<nodes>n-seed-<seed>[-n] inside. */
  readonly outDir?: string;
  /** Reads that skip the leader's confirmation: serializable ranges on etcd, the server's unsafe flag on Trellis. */
  readonly staleReads?: boolean;
  readonly kvClients?: number;
  readonly heartbeatMs?: number;
  readonly electionMs?: number;
  readonly requestTimeoutMs?: number;
  readonly recoveryBoundMs?: number;
  readonly maxOpsPerClient?: number;
  readonly thinkMs?: number;
  readonly snapshotCount?: number;
  /** Keep member data directories even when the run passes. */
  readonly keepData?: boolean;
  readonly log?: (line: string) => void;
}

export interface ChaosResult {
  readonly runDir: string;
  readonly verdict: Verdict;
  readonly summary: RunSummary;
  /** summary.txt: the checks and the fault timeline in words. */
  readonly summaryText: string;
  /** The requests the linearizability checker blamed (a run keeps no more of its history in memory). */
  readonly blamedOps: readonly RecordedOp[];
}

export class SystemUnavailable extends Error {
  override readonly name = 'SystemUnavailable';
}

let runCounter = 0;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const system = typeof options.system === 'string' ? systemByName(options.system) : options.system;
  const unavailable = system.unavailableReason();
  if (unavailable !== undefined) throw new SystemUnavailable(unavailable);
  const networkKind = networkFor(options.faults);
  const electionMs = options.electionMs ?? 1_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
  const recoveryBoundMs = options.recoveryBoundMs ?? 20_000;
  const runDir = resolve(options.outDir ?? 'chaos-runs', `${system.name}-${options.nodes}n-seed-${options.seed}-${process.pid}-${runCounter++}`);
  mkdirSync(runDir, { recursive: true });
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const log = (line: string): void => {
    const stamped = `${(now() / 1000).toFixed(3).padStart(8)}s ${line}`;
    appendFileSync(join(runDir, 'harness.log'), stamped + '\n');
    options.log?.(stamped);
  };
  const random = new SeededRandom(options.seed);
  const slots = slotNames.slice(0, options.nodes);
  let cluster: Cluster | null = null;
  const network: ClusterNetwork = networkKind === 'netns'
    ? await NetnsNetwork.create(slots)
    : await ProxyNetwork.create({ slots, identify: system.identifyPeer, resolveMember: (token) => cluster?.resolveToken(token), random: random.fork() });
  const applicable = (kind: FaultKind): boolean => options.faults.includes(kind) && system.runtime === 'node';
  cluster = new Cluster({
    system, slots, runDir, network,
    heartbeatMs: options.heartbeatMs ?? 100,
    electionMs,
    snapshotCount: options.snapshotCount ?? 500,
    quotaBackendBytes: 2 * 1024 * 1024 * 1024,
    maxRequestBytes: 1536 * 1024,
    unsafeStaleReads: options.staleReads === true && system.staleReads === 'server-flag',
    faketime: applicable('clock-skew') || applicable('clock-jump'),
    fiu: applicable('fsync-error'),
    smallDiskSlot: options.faults.includes('disk-full') ? slots[random.nextInt(0, slots.length)] : undefined,
    now,
  });
  log(`run ${runDir}: ${system.name}, ${options.nodes} members, seed ${options.seed}, ${options.durationMs} ms, faults ${options.faults.join(',')}, network ${networkKind}`);
  const recorder = new HistoryRecorder(now, (options.kvClients ?? options.nodes + 1) * (options.maxOpsPerClient ?? 4_000) + 20_000);
  let stopped = false;
  const staleHosts = new Set<string>();
  const readsOnlyHosts = new Set<string>();
  const ctx: KvWorkloadContext = {
    recorder, now, stopped: () => stopped, requestTimeoutMs,
    serializableReadsAt: staleHosts,
    readsOnlyAt: readsOnlyHosts,
    maxOpsPerClient: options.maxOpsPerClient ?? 4_000,
    thinkMs: options.thinkMs ?? 10,
  };
  const workload = new Workload(cluster, random.fork(), ctx, { kvClients: options.kvClients ?? options.nodes + 1, maxLeases: 60, silenceMs: 3_000, maxEventsPerWatcher: 200_000 },
    { stopped: () => stopped, silenceMs: 3_000, maxEventsPerWatcher: 200_000, log });
  const everywhere = makeClient(cluster.clientUrls());
  try {
    await cluster.start();
    log(`cluster serving after ${now().toFixed(0)} ms`);
    const status = await cluster.status(slots[0]!, 2_000);
    const initialRevision = Number(status?.header.revision ?? 1);
    workload.start(initialRevision);
    const probe = async (boundMs: number): Promise<number | undefined> => {
      const startMs = now();
      for (let attempt = 0; now() - startMs < boundMs; attempt++) {
        const op = await perform(ctx, everywhere, 'probe', 'any', { kind: 'put', key: 'probe', value: `probe.${recorder.ops.length}` }, 'probe');
        if (op.output !== undefined) return op.returnMs;
        await sleep(100);
      }
      return undefined;
    };
    const serializableDuringFaults = options.staleReads === true && system.staleReads === 'serializable-ranges';
    const targetsChanged = (targets: readonly string[], kind: FaultKind): void => {
      staleHosts.clear();
      readsOnlyHosts.clear();
      if (serializableDuringFaults) for (const target of targets) staleHosts.add(target);
      if (kind.startsWith('pause')) for (const target of targets) readsOnlyHosts.add(target);
    };
    const nemesis: NemesisContext = { cluster, network, system, runDir, now, log, recoveryBoundMs, probe, targetsChanged };
    const faults: FaultRecord[] = [];
    const plan = planFaults(options.seed, options.faults, electionMs, 1_000);
    await sleep(2_000);
    for (const planned of plan) {
      // Every kind named runs at least once, even if that stretches a short run.
      if (now() > options.durationMs - 3_000 && planned.index >= options.faults.length) break;
      faults.push(await runEpisode(nemesis, planned));
    }
    while (now() < options.durationMs) await sleep(100);

    log('workload time is up: healing everything');
    const healedMs = now();
    await healEverything(cluster, network);
    const recoveredMs = await probe(recoveryBoundMs);
    stopped = true;
    await workload.stopped();
    await cluster.waitUntilServing(cluster.names, recoveryBoundMs).catch((error: Error) => log(error.message));
    for (const slot of cluster.names) {
      await perform(ctx, cluster.slot(slot).client, `final@${slot}`, slot, { kind: 'range', key: '\0', rangeEnd: '\0' }, 'final-read');
    }
    const finalRevision = Math.max(0, ...recorder.ops.filter((op) => op.output !== undefined).map((op) => op.output!.revision));
    log(`final revision ${finalRevision}; reading the cluster's history back`);
    let { committed, error: committedError } = await readCommittedHistory(everywhere, finalRevision, 30_000);
    const watchersBehind = await catchUpWatchers(workload, committed, finalRevision, now, log);
    // Leases still alive may end after the last client answer: a watcher may
    // have seen those revisions, so the history read must reach them too.
    const lastWatched = Math.max(0, ...workload.watchers.map((w) => w.record.lastRevision));
    if (committed !== undefined && lastWatched > finalRevision) {
      log(`watchers saw revision ${lastWatched}, past the last answer's ${finalRevision}; reading the history again`);
      ({ committed, error: committedError } = await readCommittedHistory(everywhere, lastWatched, 30_000));
    }
    const hashes = await hashAllMembers(cluster, 20_000, now);
    const compaction = await checkCompaction(cluster, finalRevision, 10_000, now).catch((error: Error) => {
      log(`compaction step failed: ${error.message}`);
      return undefined;
    });
    const record: RunRecord = {
      initialRevision,
      ops: recorder.ops, leases: recorder.leases, watchers: workload.watchers.map((w) => w.record),
      ...(committed === undefined ? { committedError } : { committed }),
      finalRevision, faults, finalRecovery: { healedMs, boundMs: recoveryBoundMs, ...(recoveredMs === undefined ? {} : { recoveredMs }) },
      hashes, ...(compaction === undefined ? {} : { compaction }), watchersBehind,
      unexpectedExits: cluster.unexpectedExits(),
    };
    const verdict = judge(record);
    const summary = summarize({ system: system.name, seed: options.seed, nodes: options.nodes, durationMs: options.durationMs, network: networkKind, faultKinds: options.faults, wallMs: now() }, record, verdict);
    const summaryText = writeRunDirectory(runDir, record, verdict, summary, network.stats());
    log(`verdict: ${verdict.verdict}`);
    if (verdict.verdict === 'pass' && options.keepData !== true) rmSync(join(runDir, 'data'), { recursive: true, force: true });
    const blamed = new Set(verdict.blamedOpIds);
    return { runDir, verdict, summary, summaryText, blamedOps: recorder.ops.filter((op) => blamed.has(op.id)) };
  } catch (error) {
    log(`harness error: ${(error as Error).stack ?? String(error)}`);
    throw error;
  } finally {
    stopped = true;
    await workload.closeWatchers().catch(() => undefined);
    workload.close();
    everywhere.close();
    await cluster.close();
    await network.close();
  }
}

/** Undoes every fault at once: links, pauses, clocks, fsync failure points, fillers, dead members. */
async function healEverything(cluster: Cluster, network: ClusterNetwork): Promise<void> {
  await network.heal();
  for (const name of cluster.names) {
    const slot = cluster.slot(name);
    if (slot.process?.isPaused === true) cluster.resume(name);
    if (slot.faketimeFile !== undefined) setClockOffset(slot.faketimeFile, 0);
    if (slot.fiuPrefix !== undefined && slot.process?.pid !== undefined) await fiuControl(slot.fiuPrefix, slot.process.pid, false).catch(() => undefined);
    removeFile(join(slot.diskRoot, 'filler'));
    if (!cluster.running(name)) cluster.restart(name);
  }
}

async function catchUpWatchers(workload: Workload, committed: RunRecord['committed'], finalRevision: number, now: () => number, log: (line: string) => void): Promise<string[]> {
  const behind: string[] = [];
  if (committed !== undefined) {
    const startMs = now();
    for (const watcher of workload.watchers) {
      const target = lastSelectedRevision(watcher.record.spec, committed, finalRevision);
      while (watcher.record.lastRevision < target && now() - startMs < 20_000 && watcher.record.cancelReasons.length === 0) await sleep(100);
      if (watcher.record.lastRevision < target) {
        behind.push(`${watcher.record.spec.watcherId} (at ${watcher.record.lastRevision}, needed ${target})`);
        log(`watcher ${watcher.record.spec.watcherId} stuck at revision ${watcher.record.lastRevision}, needed ${target}`);
      }
    }
  }
  await workload.closeWatchers();
  return behind;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
