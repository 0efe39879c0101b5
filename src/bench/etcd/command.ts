// Registers `trellis bench etcd` on the bench command.

import type { Command } from 'commander';
import { tmpdir } from 'node:os';
import { BenchOptionError, parseEtcdBenchOptions, type RawEtcdBenchOptions } from './options.js';
import { benchSystems } from './systems.js';
import { WORKLOADS } from './workloads.js';

export function registerEtcdBench(bench: Command): void {
  const registry = benchSystems();
  bench
    .command('etcd')
    .description('the same workloads against a 3-member Trellis cluster and a 3-member etcd 3.4 cluster, in alternation; writes a markdown table, JSON and an SVG chart under bench-results/<time>/')
    .option('--systems <a,b>', `systems to compare, A first; ratios are B / A (${[...registry.keys()].join(', ')}; etcd-b is etcd again, to measure noise; trellis-b is Trellis again, or the build TRELLIS_B_MAIN names, with TRELLIS_B_NODE_ARGS and TRELLIS_B_ENV: for before and after)`, 'etcd,trellis')
    .option('--workloads <names>', `comma-separated, from ${WORKLOADS.map((w) => w.name).join(', ')}`, WORKLOADS.map((w) => w.name).join(','))
    .option('--rounds <n>', 'rounds in alternation (2 gives A B A B)', '2')
    .option('--duration-s <s>', 'measured seconds per workload', '15')
    .option('--warmup-s <s>', 'warm-up seconds before each measured window', '3')
    .option('--keys <n>', 'key space', '10000')
    .option('--value-bytes <n>', 'bytes per value', '256')
    .option('--out-dir <path>', 'where the results folder is made', 'bench-results')
    .option('--tmp-dir <path>', 'where the members\' data directories are made (a real disk: fsync is on)', tmpdir())
    .option('--keep-data', 'keep the members\' data directories after the run', false)
    .option('--loadgen-procs <n>', 'GOMAXPROCS of the load generator (1 is cheapest per request on 2 cores)', '1')
    .action(async (raw: RawEtcdBenchOptions, command: Command) => {
      let options;
      try {
        options = parseEtcdBenchOptions(raw, [...registry.keys()]);
      } catch (error) {
        // Printed by commander with the usual hint, and nothing has started.
        if (error instanceof BenchOptionError) command.error(`error: ${error.message}`);
        throw error;
      }
      // Loaded on use, so `trellis --help` and the other commands start fast.
      const [{ runEtcdBench }, { renderMarkdown }] = await Promise.all([import('./run.js'), import('./report-markdown.js')]);
      const { report, resultDir } = await runEtcdBench(options, registry);
      console.log(renderMarkdown(report));
      console.error(`results: ${resultDir}/report.md, results.json, chart.svg (member logs in logs/)`);
    });
}
