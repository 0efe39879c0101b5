// Runs one planned fault episode against the live cluster: picks targets
// (the current leader where the kind says so), injects, holds, heals, waits
// until a write is acknowledged again, and records what happened, including
// what the member said in its log for the disk faults.

import { join } from 'node:path';
import { SeededRandom, type Random } from '../runtime/random.js';
import type { Cluster } from './cluster.js';
import { notApplicableReason, type FaultKind, type PlannedFault } from './faults.js';
import { fiuControl, fileSize, fillFilesystem, firstMatchingLine, logSince, removeFile, setClockOffset } from './host-faults.js';
import type { ClusterNetwork } from './network.js';
import type { MemberProcess } from './member-process.js';
import type { LinkRule } from './peer-proxy.js';
import type { SystemSpec } from './system-spec.js';

export interface FaultRecord {
  readonly index: number;
  readonly kind: FaultKind;
  readonly applicable: boolean;
  readonly reason?: string;
  targets: string[];
  detail: string;
  startMs: number;
  healMs?: number;
  /** When the first write after the heal was acknowledged. */
  recoveredMs?: number;
  readonly observations: string[];
  /** Checks this episode failed (disk behaviour, recovery bound, replacement). */
  readonly failures: string[];
}

export interface NemesisContext {
  readonly cluster: Cluster;
  readonly network: ClusterNetwork;
  readonly system: SystemSpec;
  readonly runDir: string;
  readonly now: () => number;
  readonly log: (line: string) => void;
  readonly recoveryBoundMs: number;
  /** Writes until one is acknowledged; resolves with its acknowledgement time, or undefined past the bound. */
  readonly probe: (boundMs: number) => Promise<number | undefined>;
  /** Told the members a fault targets while it holds (and nothing after the heal). */
  readonly targetsChanged?: (targets: readonly string[], kind: FaultKind) => void;
}

type Link = { from: string; to: string; rule: LinkRule };
const cut: LinkRule = { kind: 'cut' };

interface Injected {
  /** When the fault took hold, if not when inject returned (a kill counts from its signal). */
  readonly startedMs?: number;
  readonly targets: string[];
  readonly detail: string;
  readonly heal: () => Promise<void>;
}

export async function runEpisode(ctx: NemesisContext, planned: PlannedFault): Promise<FaultRecord> {
  const reason = notApplicableReason(planned.kind, ctx.system);
  const record: FaultRecord = {
    index: planned.index, kind: planned.kind, applicable: reason === undefined, ...(reason === undefined ? {} : { reason }),
    targets: [], detail: '', startMs: ctx.now(), observations: [], failures: [],
  };
  if (reason !== undefined) {
    record.detail = 'not applicable to this system: not injected';
    ctx.log(`fault #${planned.index} ${planned.kind}: not applicable to ${ctx.system.name}`);
    return record;
  }
  const random = new SeededRandom(planned.seed);
  const injected = await inject(ctx, planned, random, record);
  // Choosing targets (asking who leads) takes time: the fault starts when it is in place.
  record.startMs = injected.startedMs ?? ctx.now();
  record.targets = injected.targets;
  record.detail = injected.detail;
  ctx.log(`fault #${planned.index} ${planned.kind} on ${injected.targets.join(', ') || 'the cluster'}: ${injected.detail}; holding ${planned.holdMs} ms`);
  ctx.targetsChanged?.(injected.targets, planned.kind);
  await sleep(planned.holdMs);
  record.healMs = ctx.now();
  ctx.targetsChanged?.([], planned.kind);
  await injected.heal();
  const recovered = await ctx.probe(ctx.recoveryBoundMs);
  if (recovered === undefined) record.failures.push(`no write was acknowledged within ${ctx.recoveryBoundMs} ms of the heal`);
  else record.recoveredMs = recovered;
  ctx.log(`fault #${planned.index} healed; ${recovered === undefined ? 'NO write acknowledged within the bound' : `writes again after ${(recovered - record.healMs).toFixed(0)} ms`}`);
  await sleep(planned.gapMs);
  return record;
}

function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('nothing to pick from');
  return items[random.nextInt(0, items.length)]!;
}

function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.nextInt(0, i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function between(a: readonly string[], b: readonly string[], rule: LinkRule = cut): Link[] {
  return a.flatMap((x) => b.flatMap((y) => [{ from: x, to: y, rule }, { from: y, to: x, rule }]));
}

async function leaderOrAny(ctx: NemesisContext, random: Random, record: FaultRecord): Promise<string> {
  // Right after a heal an election may still be running: ask for a few seconds before settling for anyone.
  for (let attempt = 0; attempt < 10; attempt++) {
    const leader = await ctx.cluster.leader();
    if (leader !== undefined) return leader;
    await sleep(300);
  }
  const running = ctx.cluster.names.filter((n) => ctx.cluster.running(n));
  const chosen = pick(random, running.length > 0 ? running : ctx.cluster.names);
  record.observations.push(`no leader known at injection; chose ${chosen}`);
  return chosen;
}

async function inject(ctx: NemesisContext, planned: PlannedFault, random: Random, record: FaultRecord): Promise<Injected> {
  const { cluster, network } = ctx;
  const names = cluster.names;
  const others = (target: string): string[] => names.filter((n) => n !== target);
  const partition = async (links: Link[], targets: string[], detail: string): Promise<Injected> => {
    await network.setLinks(links);
    return { targets, detail: `${detail} [${network.describe()}]`, heal: () => network.heal() };
  };
  switch (planned.kind) {
    case 'kill-leader':
    case 'kill-random':
    case 'kill-majority': {
      const targets = planned.kind === 'kill-leader' ? [await leaderOrAny(ctx, random, record)]
        : planned.kind === 'kill-random' ? [pick(random, names)]
        : shuffled(random, names).slice(0, Math.floor(names.length / 2) + 1);
      const startedMs = ctx.now();
      await Promise.all(targets.map((target) => cluster.kill(target)));
      return { startedMs, targets, detail: 'kill -9, restart at heal', heal: async () => { for (const target of targets) cluster.restart(target); } };
    }
    case 'pause-leader':
    case 'pause-random': {
      const target = planned.kind === 'pause-leader' ? await leaderOrAny(ctx, random, record) : pick(random, names);
      cluster.pause(target);
      return { targets: [target], detail: 'SIGSTOP, SIGCONT at heal', heal: async () => void cluster.resume(target) };
    }
    case 'partition-halves':
    case 'netns-halves': {
      const order = shuffled(random, names);
      const minority = order.slice(0, Math.floor(names.length / 2));
      return partition(between(minority, order.slice(minority.length)), minority, `minority ${minority.join('+')} cut off from the majority`);
    }
    case 'partition-leader':
    case 'netns-leader': {
      const leader = await leaderOrAny(ctx, random, record);
      return partition(between([leader], others(leader)), [leader], 'leader isolated from every peer');
    }
    case 'partition-asymmetric':
    case 'netns-asymmetric': {
      const target = await leaderOrAny(ctx, random, record);
      const outbound = random.chance(0.5);
      const links = others(target).map((o) => (outbound ? { from: target, to: o, rule: cut } : { from: o, to: target, rule: cut }));
      return partition(links, [target], outbound ? 'the leader\'s messages to its peers are dropped, theirs still arrive' : 'the leader hears no peer, its own messages still arrive');
    }
    case 'partition-ring':
    case 'netns-ring': {
      const ring = shuffled(random, names);
      const n = ring.length;
      const adjacent = (i: number, j: number): boolean => (n === 3 ? !(Math.min(i, j) === 0 && Math.max(i, j) === 2) : Math.abs(i - j) === 1 || Math.abs(i - j) === n - 1);
      const links: Link[] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && !adjacent(i, j)) links.push({ from: ring[i]!, to: ring[j]!, rule: cut });
      return partition(links, ring, `${n === 3 ? 'a line' : 'a ring'} ${ring.join('-')}: each member reaches only its neighbours`);
    }
    case 'link-delay': {
      const target = random.chance(0.5) ? await leaderOrAny(ctx, random, record) : pick(random, names);
      const rule: LinkRule = { kind: 'delay', delayMs: random.nextInt(50, 400), jitterMs: random.nextInt(0, 60) };
      return partition(between([target], others(target), rule), [target], `every link of ${target} delayed`);
    }
    case 'link-drop': {
      const target = pick(random, names);
      const rule: LinkRule = { kind: 'drop', probability: 0.05 + random.nextFloat() * 0.3 };
      return partition(between([target], others(target), rule), [target], `connections of ${target} reset at random`);
    }
    case 'link-blackhole': {
      const from = pick(random, names);
      const to = pick(random, others(from));
      return partition([{ from, to, rule: cut }], [from, to], `one direction blackholed: ${from} -> ${to}`);
    }
    case 'clock-skew':
    case 'clock-jump': {
      const target = planned.kind === 'clock-jump' ? await leaderOrAny(ctx, random, record) : pick(random, names);
      const file = cluster.slot(target).faketimeFile!;
      const offsetSeconds = planned.kind === 'clock-jump' ? random.nextInt(300, 3_601) : (random.chance(0.5) ? 1 : -1) * random.nextInt(30, 601);
      setClockOffset(file, offsetSeconds);
      const detail = planned.kind === 'clock-jump' ? `wall clock jumps ${offsetSeconds} s forward, and back at heal` : `wall clock skewed by ${offsetSeconds} s`;
      return { targets: [target], detail, heal: async () => setClockOffset(file, 0) };
    }
    case 'fsync-error':
      return injectFsyncError(ctx, random, record);
    case 'disk-full':
      return injectDiskFull(ctx, record);
    case 'replace-member': {
      const target = pick(random, names);
      await cluster.replace(target, (line) => record.observations.push(line));
      const heal = async (): Promise<void> => {
        try {
          await cluster.waitUntilServing([target], 60_000);
          await cluster.learnMemberIds();
        } catch (error) {
          record.failures.push(`the replacement member in ${target} did not serve: ${(error as Error).message}`);
        }
      };
      return { targets: [target], detail: `member removed, data wiped, new member ${cluster.slot(target).memberName} added and started with state existing`, heal };
    }
  }
}

async function injectFsyncError(ctx: NemesisContext, random: Random, record: FaultRecord): Promise<Injected> {
  const { cluster } = ctx;
  const target = random.chance(0.5) ? await leaderOrAny(ctx, random, record) : pick(random, cluster.names);
  const slot = cluster.slot(target);
  const pid = slot.process?.pid;
  if (pid === undefined || slot.fiuPrefix === undefined) throw new Error(`cannot fail fsync in ${target}: it is not running under libfiu`);
  const logPath = join(ctx.runDir, 'logs', `${slot.memberName}.log`);
  const logOffset = fileSize(logPath);
  const startedMs = ctx.now();
  // Stopping is what a member should do when fsync fails.
  slot.process!.expectExit();
  await fiuControl(slot.fiuPrefix, pid, true);
  const heal = async (): Promise<void> => {
    const line = firstMatchingLine(logSince(logPath, logOffset), ctx.system.fsyncFailureLog);
    await settleExit(slot.process!, line !== undefined);
    const exited = slot.process!.exits.some((exit) => exit.atMs >= startedMs);
    if (!exited) await fiuControl(slot.fiuPrefix!, pid, false).catch(() => undefined);
    record.observations.push(exited ? 'the member stopped' : 'the member kept running', line === undefined ? 'no log line about the failed fsync' : `log: ${line}`);
    if (!exited && line === undefined) record.failures.push(`${target} kept running after fsync failed and logged nothing matching ${ctx.system.fsyncFailureLog}`);
    if (exited) cluster.restart(target);
    else slot.process!.expectExit(false);
  };
  return { targets: [target], detail: `fsync and fdatasync fail (libfiu ${pid})`, heal };
}

async function injectDiskFull(ctx: NemesisContext, record: FaultRecord): Promise<Injected> {
  const { cluster } = ctx;
  const target = cluster.options.smallDiskSlot;
  if (target === undefined) throw new Error('disk-full needs a member on a small disk: the run sets one up when disk-full is among the faults');
  const slot = cluster.slot(target);
  const filler = join(slot.diskRoot, 'filler');
  const logPath = join(ctx.runDir, 'logs', `${slot.memberName}.log`);
  const logOffset = fileSize(logPath);
  const startedMs = ctx.now();
  slot.process?.expectExit();
  const bytes = fillFilesystem(filler, cluster.options.smallDiskBytes ?? 256 * 1024 * 1024);
  const heal = async (): Promise<void> => {
    removeFile(filler);
    // A member that hit the full disk just before it was freed may be on its way out still (its log line not
    // even written yet): it gets a moment to stop, and is then restarted like any member that stopped on the fault.
    if (slot.process !== null) await settleExit(slot.process, true);
    const line = firstMatchingLine(logSince(logPath, logOffset), /no space left|ENOSPC|disk (is )?full/i);
    const exited = slot.process?.exits.some((exit) => exit.atMs >= startedMs) === true || !cluster.running(target);
    record.observations.push(exited ? 'the member stopped' : 'the member kept running', line === undefined ? 'no log line about the full disk' : `log: ${line}`);
    if (!cluster.running(target)) cluster.restart(target);
    else slot.process?.expectExit(false);
    try {
      await cluster.waitUntilServing([target], ctx.recoveryBoundMs);
    } catch {
      record.failures.push(`${target} did not serve again within ${ctx.recoveryBoundMs} ms after its disk was freed: see its log for corruption`);
    }
  };
  return { targets: [target], detail: `filesystem filled (${(bytes / 1024 / 1024).toFixed(0)} MiB filler)`, heal };
}

/** How long a member that may be stopping on a disk fault gets to finish before the heal judges it still running. */
const stoppingBoundMs = 3_000;

/**
 * A member that failed on a disk fault may still be on its way out (closing
 * its servers) when the heal comes: waits, within a bound, for it to exit, so
 * an exit a few milliseconds after the heal is not taken for a crash of a
 * member that "kept running", which the heal would then not restart.
 */
async function settleExit(process: MemberProcess, mayBeStopping: boolean): Promise<void> {
  if (!mayBeStopping || !process.running) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([process.waitForExit(), new Promise<void>((resolve) => { timer = setTimeout(resolve, stoppingBoundMs); })]);
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
