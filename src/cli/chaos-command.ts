// `trellis chaos`: fault tests on real processes. One run (or a soak of many)
// starts a cluster of the chosen system, drives it with etcd3 clients under
// seeded faults, and ends in a verdict with a run directory to read.

import { InvalidArgumentError, type Command } from 'commander';
import { parseFaultKinds, type FaultKind } from '../chaos/faults.js';
import type { ChaosResult } from '../chaos/run.js';
import { systems } from '../chaos/system-spec.js';
import { parsePositiveInteger } from './parse.js';
import { Progress } from './progress.js';

interface ChaosFlags {
  seed: number;
  nodes: 3 | 5 | 'both';
  durationS?: number;
  faults: FaultKind[];
  system: string;
  outDir: string;
  staleReads?: boolean;
  keepData?: boolean;
  verbose?: boolean;
  soak?: boolean;
  runs: number;
  electionMs: number;
  heartbeatMs: number;
  judge?: string;
}

function parseNodes(text: string): 3 | 5 | 'both' {
  if (text === '3' || text === '5') return Number(text) as 3 | 5;
  if (text === 'both') return 'both';
  throw new InvalidArgumentError(`expected 3, 5 or both, got "${text}"`);
}

function parseFaults(text: string): FaultKind[] {
  try {
    return parseFaultKinds(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function parseSystem(text: string): string {
  if (systems[text] === undefined) throw new InvalidArgumentError(`unknown system "${text}": choose ${Object.keys(systems).join(' or ')}`);
  return text;
}

export function registerChaosCommand(program: Command): void {
  program
    .command('chaos')
    .description('fault tests on real processes: kill, pause, partition, clock and disk faults under an etcd3 workload, ending in a checked verdict')
    .option('--seed <n>', 'seed of the fault schedule and workload (the first seed of a soak)', (t) => parsePositiveInteger(t), 1)
    .option('--nodes <n>', 'cluster size: 3, 5, or both (soak alternates)', parseNodes, 3)
    .option('--duration-s <s>', 'seconds of workload and faults per run (default 30; 120 in a soak)', (t) => parsePositiveInteger(t))
    .option('--faults <kinds>', 'comma-separated fault kinds or groups: all, kill, pause, partition, netns, clock, disk, replace, or single kinds', parseFaults, parseFaultKinds('kill,pause,partition,replace'))
    .option('--system <name>', 'system under test: trellis or etcd', parseSystem, 'trellis')
    .option('--out-dir <dir>', 'where run directories go', 'chaos-runs')
    .option('--stale-reads', 'reads that skip the leader\'s confirmation (etcd: serializable; trellis: --unsafe-stale-linearizable-reads): the verdict must be a violation')
    .option('--keep-data', 'keep member data directories of passing runs')
    .option('--verbose', 'print the harness log as it runs')
    .option('--soak', 'run many runs in a row with a progress bar and a summary table')
    .option('--runs <n>', 'runs in a soak', (t) => parsePositiveInteger(t), 10)
    .option('--election-ms <ms>', 'members\' election timeout', (t) => parsePositiveInteger(t), 1_000)
    .option('--heartbeat-ms <ms>', 'members\' heartbeat interval', (t) => parsePositiveInteger(t), 100)
    .option('--judge <run-dir>', 'judge a recorded run directory again, without a cluster, and rewrite its verdict and timeline')
    .action(async (flags: ChaosFlags) => {
      // The harness loads on use, so the rest of the command line starts fast.
      const [{ runChaos, SystemUnavailable }, { rejudgeRunDirectory }, { formatSoakTable, runSoak }] =
        await Promise.all([import('../chaos/run.js'), import('../chaos/run-directory.js'), import('../chaos/soak.js')]);
      if (flags.judge !== undefined) {
        const { verdict, summaryText } = rejudgeRunDirectory(flags.judge);
        console.log(summaryText.trimEnd());
        process.exitCode = verdict.verdict === 'pass' ? 0 : 1;
        return;
      }
      const log = flags.verbose === true ? (line: string) => process.stderr.write(line + '\n') : undefined;
      const common = {
        system: flags.system,
        faults: flags.faults,
        outDir: flags.outDir,
        staleReads: flags.staleReads,
        keepData: flags.keepData,
        electionMs: flags.electionMs,
        heartbeatMs: flags.heartbeatMs,
        log,
      };
      try {
        if (flags.soak === true) {
          const progress = new Progress('chaos soak', flags.runs);
          let failing = 0;
          const results = await runSoak({
            ...common,
            runs: flags.runs,
            firstSeed: flags.seed,
            nodes: flags.nodes,
            durationMs: (flags.durationS ?? 120) * 1000,
            onRunDone: (result: ChaosResult, done: number) => {
              if (result.verdict.verdict !== 'pass') failing++;
              progress.update(done, `seed ${result.summary.seed} ${result.verdict.verdict}, ${failing} not passing`);
            },
          });
          console.log(formatSoakTable(results.map((r) => r.summary), results.map((r) => r.runDir)));
          process.exitCode = results.every((r) => r.verdict.verdict === 'pass') ? 0 : 1;
          return;
        }
        const nodes = flags.nodes === 'both' ? 3 : flags.nodes;
        const result = await runChaos({ ...common, seed: flags.seed, nodes, durationMs: (flags.durationS ?? 30) * 1000 });
        console.log(result.summaryText.trimEnd());
        console.log(`\nrun directory: ${result.runDir} (summary.txt, timeline.html)`);
        process.exitCode = result.verdict.verdict === 'pass' ? 0 : 1;
      } catch (error) {
        if (error instanceof SystemUnavailable) {
          console.error(`trellis chaos: cannot test ${flags.system}: ${error.message}`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
    });
}
