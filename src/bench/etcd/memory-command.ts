// Registers `trellis bench memory` on the bench command.

import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePositiveInteger } from '../../cli/parse.js';
import { BenchOptionError, parseSystemNames } from './options.js';
import { benchSystems } from './systems.js';

interface RawMemoryBenchOptions {
  readonly systems: string;
  readonly keys: number;
  readonly valueBytes: number;
  readonly inflight: number;
  readonly members: string;
  readonly settleS: number;
  readonly outDir: string;
  readonly tmpDir: string;
}

export function registerMemoryBench(bench: Command): void {
  const registry = benchSystems();
  bench
    .command('memory')
    .description('one member (or three) of each system loaded with a million keys: the largest resident set a member reached, during the load and after (needs the Go load generator, as bench etcd does)')
    .option('--systems <names>', `systems to load, one after the other (${[...registry.keys()].join(', ')})`, 'trellis,etcd')
    .option('--keys <n>', 'distinct keys to load', parsePositiveInteger, 1_000_000)
    .option('--value-bytes <bytes>', 'bytes per value', parsePositiveInteger, 256)
    .option('--inflight <n>', 'puts in flight', parsePositiveInteger, 256)
    .option('--members <n>', '1, or 3 for a cluster (followers hold what the leader holds)', '1')
    .option('--settle-s <s>', 'seconds to keep sampling after the load', parsePositiveInteger, 20)
    .option('--out-dir <path>', 'where the results folder is made', 'bench-results')
    .option('--tmp-dir <path>', 'where the members\' data directories are made (a real disk: fsync is on)', tmpdir())
    .action(async (raw: RawMemoryBenchOptions, command: Command) => {
      let names: string[];
      try {
        names = parseSystemNames(raw.systems, [...registry.keys()]);
      } catch (error) {
        if (error instanceof BenchOptionError) command.error(`error: ${error.message}`);
        throw error;
      }
      if (raw.members !== '1' && raw.members !== '3') command.error(`error: --members must be 1 or 3, got "${raw.members}"`);
      const systems = names.map((name) => registry.get(name)!);
      const unavailable = systems.map((system) => system.unavailableReason()).filter((reason) => reason !== undefined);
      if (unavailable.length > 0) command.error(`error: ${unavailable.join('; ')}`);
      const resultDir = resolve(raw.outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-memory`);
      mkdirSync(join(resultDir, 'logs'), { recursive: true });
      // Loaded on use, so `trellis --help` and the other commands start fast.
      const { runMemoryBench, renderMemoryTable } = await import('./memory.js');
      const results = await runMemoryBench({ ...raw, members: raw.members === '3' ? 3 : 1, systems, logDir: join(resultDir, 'logs'), out: (line) => console.error(line) });
      const table = renderMemoryTable(results);
      writeFileSync(join(resultDir, 'report.md'), `${table}\n`);
      writeFileSync(join(resultDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
      console.log(table);
      console.error(`results: ${resultDir}/report.md, results.json (member logs in logs/)`);
    });
}
