// `trellis sim`: the swarm. Many seeds, each a cluster under random faults,
// every one checked for Raft's safety properties and for a linearizable
// client history: of the consistent core's key-value store (--store kv, the
// default: revisions, watches, leases and member hashes checked too), or of
// the Raft swarm's registers (--store registers). A failing seed's trace goes
// to sim-traces/seed-N.trace, and the summary prints the command that replays it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { PlantedBugs } from '../consensus/options.js';
import { runSwarm, swarmFaultKinds, swarmStores, type SwarmFaultKind, type SwarmStore, type SwarmSummary } from '../sim/swarm/index.js';
import { parsePositiveInteger, parseSeedRange } from './parse.js';
import { Progress } from './progress.js';

const bugNames: readonly (keyof PlantedBugs)[] = ['voteWithoutLogCheck', 'commitPreviousTermByCount', 'ackBeforePersist', 'voteBeforePersist', 'acceptStaleTermAppend'];

interface SimFlags {
  seed?: { first: number; last: number };
  seeds?: { first: number; last: number };
  nodes: number;
  simulatedMs: number;
  faults?: SwarmFaultKind[];
  bugs?: PlantedBugs;
  allowMajorityDown?: boolean;
  faultIntervalMs?: number;
  datasyncMs?: number;
  maxEntriesPerAppend?: number;
  snapshotEntries?: number;
  clients?: number;
  staleReads?: boolean;
  maxClockJumpMs?: number;
  sessionIdleMs?: number;
  store: SwarmStore;
  traceDir: string;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run the swarm in the deterministic simulator: seeded faults, safety and linearizability checked')
    .option('--store <store>', `what the cluster replicates: ${swarmStores.join(' or ')}`, parseStore, 'kv')
    .option('--seed <n>', 'run one seed', parseSeedRange)
    .option('--seeds <a..b>', 'run a range of seeds (default 1..100)', parseSeedRange)
    .option('--nodes <n>', 'cluster size: 3 or 5', parseNodes, 5)
    .option('--simulated-ms <ms>', 'simulated time per seed', parsePositiveInteger, 60_000)
    .option('--faults <kinds>', `comma-separated fault kinds (default all: ${swarmFaultKinds.join(',')})`, parseFaults)
    .option('--bugs <names>', `planted bugs to switch on: ${bugNames.join(',')}`, parseBugs)
    .option('--allow-majority-down', 'let a majority be crashed or paused at once')
    .option('--fault-interval-ms <ms>', 'mean simulated time between faults', parsePositiveInteger)
    .option('--datasync-ms <ms>', 'simulated fdatasync latency', parsePositiveInteger)
    .option('--max-entries-per-append <n>', 'entries per append message', parsePositiveInteger)
    .option('--snapshot-entries <n>', 'entries applied between snapshots', parsePositiveInteger)
    .option('--clients <n>', 'concurrent clients', parsePositiveInteger)
    .option('--max-clock-jump-ms <ms>', 'largest wall-clock jump of a clock-jump fault (default 5000)', parsePositiveInteger)
    .option('--session-idle-ms <ms>', 'kv: how long an idle client session is remembered, by the log\'s clock (default 600000)', parsePositiveInteger)
    .option('--stale-reads', 'serve linearizable reads from any member without ReadIndex (a planted bug: the history check must catch it)')
    .option('--trace-dir <dir>', 'where failing seeds\' traces go', 'sim-traces')
    .action(async (flags: SimFlags) => {
      const range = flags.seed ?? flags.seeds ?? { first: 1, last: 100 };
      const count = range.last - range.first + 1;
      const progress = new Progress('sim', count);
      const started = performance.now();
      let failed = 0;
      const summary = await runSwarm({
        seeds: count,
        firstSeed: range.first,
        nodes: flags.nodes,
        simulatedMs: flags.simulatedMs,
        faults: flags.faults,
        bugs: flags.bugs,
        allowMajorityDown: flags.allowMajorityDown,
        meanFaultIntervalMs: flags.faultIntervalMs,
        datasyncLatencyMs: flags.datasyncMs,
        maxEntriesPerAppend: flags.maxEntriesPerAppend,
        snapshotEntries: flags.snapshotEntries,
        clients: flags.clients,
        staleReads: flags.staleReads,
        store: flags.store,
        maxClockJumpMs: flags.maxClockJumpMs,
        sessionIdleMs: flags.sessionIdleMs,
        onProgress: (result, done) => {
          if (result.violations.length > 0) failed++;
          progress.update(done, `seed ${result.seed}, ${failed} failing`);
        },
      });
      const wallSeconds = (performance.now() - started) / 1000;
      for (const failure of summary.failures) {
        await mkdir(flags.traceDir, { recursive: true });
        const tracePath = join(flags.traceDir, `seed-${failure.seed}.trace`);
        await writeFile(tracePath, failure.trace.join('\n') + '\n');
        console.log(`seed ${failure.seed} FAILED:`);
        for (const violation of failure.violations.slice(0, 5)) console.log(`  ${violation.property}: ${violation.detail}`);
        console.log(`  replay: ${failure.replayCommand}`);
        console.log(`  trace:  ${tracePath}`);
      }
      const simulatedSeconds = summary.simulatedMs / 1000;
      const faults = Object.entries(summary.faultsByKind).sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${n}`).join(', ');
      console.log('');
      console.log(`seeds              ${summary.seeds} (${range.first}..${range.first + summary.seeds - 1}), ${flags.nodes} nodes, ${flags.store === 'kv' ? 'key-value store' : 'registers'}`);
      console.log(`simulated time     ${simulatedSeconds.toFixed(0)} s in ${wallSeconds.toFixed(1)} s wall (${(simulatedSeconds / wallSeconds).toFixed(0)} simulated s per wall s)`);
      console.log(`operations         ${summary.operations} (${summary.acknowledgedWrites} acknowledged writes)`);
      printKvFigures(summary);
      console.log(`elections          ${summary.elections}`);
      console.log(`snapshots          ${summary.snapshotsTaken} taken, ${summary.snapshotsInstalled} installed from a leader`);
      console.log(`faults injected    ${faults || 'none'}`);
      console.log(`violations         ${summary.failures.length === 0 ? 'none' : `${summary.failures.length} seed(s): ${summary.failures.map((f) => f.seed).join(', ')}`}`);
      if (summary.failures.length > 0) process.exitCode = 1;
    });
}

function printKvFigures(summary: SwarmSummary): void {
  const kv = summary.kv;
  if (kv === undefined) return;
  const undecided = kv.historiesUndecided === 0 ? '' : `, ${kv.historiesUndecided} undecided (step budget spent)`;
  console.log(`checked            ${kv.operationsChecked} operations for linearizability${undecided}, ${kv.serializableReads} serializable reads, ${kv.revisions} revisions`);
  console.log(`watches            ${kv.watchEvents} events received, ${kv.watchMoves} moves to another member`);
  console.log(`leases             ${kv.leasesGranted} granted, ${kv.keepAlivesAcknowledged} keep-alives, ${kv.leaseExpiriesChecked} expiries checked against the leader's clock`);
}

function parseStore(text: string): SwarmStore {
  if (!(swarmStores as readonly string[]).includes(text)) throw new InvalidArgumentError(`unknown store "${text}"; known: ${swarmStores.join(', ')}`);
  return text as SwarmStore;
}

function parseNodes(text: string): number {
  if (text !== '3' && text !== '5') throw new InvalidArgumentError(`the swarm runs 3 or 5 nodes, not "${text}"`);
  return Number(text);
}

function parseFaults(text: string): SwarmFaultKind[] {
  const kinds = text.split(',').map((k) => k.trim()).filter((k) => k.length > 0);
  const unknown = kinds.filter((k) => !(swarmFaultKinds as readonly string[]).includes(k));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown fault kind(s) ${unknown.join(', ')}; known: ${swarmFaultKinds.join(', ')}`);
  return kinds as SwarmFaultKind[];
}

function parseBugs(text: string): PlantedBugs {
  const bugs: Record<string, boolean> = {};
  for (const name of text.split(',').map((b) => b.trim()).filter((b) => b.length > 0)) {
    if (!(bugNames as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown planted bug "${name}"; known: ${bugNames.join(', ')}`);
    bugs[name] = true;
  }
  return bugs as PlantedBugs;
}
