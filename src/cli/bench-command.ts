import type { Command } from 'commander';
import { runChannelBench } from '../bench/channel.js';
import { runKvBench } from '../bench/kv.js';
import { registerEtcdBench } from '../bench/etcd/command.js';
import { runWalBench } from '../bench/wal.js';
import { parsePositiveInteger } from './parse.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchSystems } from '../bench/etcd/systems.js';

export function registerBenchCommand(program: Command): void {
  const bench = program.command('bench').description('measure Trellis on this machine (benchmarks print figures; they are not tests)');

  bench
    .command('wal')
    .description('write-ahead log: raw fdatasync rate vs durable group-committed appends with 1, 16 and 256 appenders')
    .option('--dir <path>', 'a directory on the disk to measure', '.')
    .option('--duration-ms <ms>', 'total measuring time', parsePositiveInteger, 12_000)
    .option('--record-bytes <bytes>', 'bytes per record', parsePositiveInteger, 256)
    .action(async (options: { dir: string; durationMs: number; recordBytes: number }) => {
      await runWalBench({ directory: options.dir, durationMs: options.durationMs, recordBytes: options.recordBytes, out: (line) => console.log(line) });
    });

  bench
    .command('kv')
    .description('key-value state machine: memory for a million keys, snapshot take and restore, apply throughput (in a child process)')
    .option('--keys <n>', 'distinct keys to load', parsePositiveInteger, 1_000_000)
    .option('--value-bytes <bytes>', 'bytes per value', parsePositiveInteger, 256)
    .option('--updates <n>', 'puts that overwrite existing keys after the load', parsePositiveInteger, 200_000)
    .action(async (options: { keys: number; valueBytes: number; updates: number }) => {
      await runKvBench({ ...options, out: (line) => console.log(line) });
    });

  bench
    .command('channel')
    .description('peer transport: messages per second one way over loopback, with and without write coalescing (Request Batch on the wire)')
    .option('--duration-ms <ms>', 'total measuring time', parsePositiveInteger, 12_000)
    .option('--payload-bytes <bytes>', 'bytes per message', parsePositiveInteger, 256)
    .action(async (options: { durationMs: number; payloadBytes: number }) => {
      await runChannelBench({ durationMs: options.durationMs, payloadBytes: options.payloadBytes, out: (line) => console.log(line) });
    });

  registerEtcdBench(bench);

  bench
    .command('memory')
    .description('one member (or three) of each system loaded with a million keys: the largest resident set a member reached, during the load and after (needs the Go load generator, as bench etcd does)')
    .option('--systems <names>', 'systems to load, one after the other (etcd, trellis)', 'trellis,etcd')
    .option('--keys <n>', 'distinct keys to load', parsePositiveInteger, 1_000_000)
    .option('--value-bytes <bytes>', 'bytes per value', parsePositiveInteger, 256)
    .option('--inflight <n>', 'puts in flight', parsePositiveInteger, 256)
    .option('--members <n>', '1, or 3 for a cluster (followers hold what the leader holds)', '1')
    .option('--settle-s <s>', 'seconds to keep sampling after the load', parsePositiveInteger, 20)
    .option('--out-dir <path>', 'where the results folder is made', 'bench-results')
    .option('--tmp-dir <path>', 'where the member\'s data directory is made (a real disk: fsync is on)', tmpdir())
    .action(async (options: { systems: string; keys: number; valueBytes: number; inflight: number; members: string; settleS: number; outDir: string; tmpDir: string }, command: Command) => {
      if (options.members !== '1' && options.members !== '3') command.error(`error: --members must be 1 or 3, got "${options.members}"`);
      const members = options.members === '3' ? 3 : 1;
      const registry = benchSystems();
      const names = options.systems.split(',').filter((name) => name !== '');
      const unknown = names.filter((name) => !registry.has(name));
      if (names.length === 0 || unknown.length > 0) command.error(`error: --systems: unknown system(s) ${unknown.join(', ') || '(none given)'}; choose from ${[...registry.keys()].join(', ')}`);
      const systems = names.map((name) => registry.get(name)!);
      const unavailable = systems.map((system) => system.unavailableReason()).filter((reason) => reason !== undefined);
      if (unavailable.length > 0) command.error(`error: ${unavailable.join('; ')}`);
      const resultDir = resolve(options.outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-memory`);
      mkdirSync(join(resultDir, 'logs'), { recursive: true });
      const { runMemoryBench, renderMemoryTable } = await import('../bench/etcd/memory.js');
      const results = await runMemoryBench({ ...options, members, systems, logDir: join(resultDir, 'logs'), out: (line) => console.error(line) });
      const table = renderMemoryTable(results);
      writeFileSync(join(resultDir, 'report.md'), `${table}\n`);
      writeFileSync(join(resultDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
      console.log(table);
      console.error(`results: ${resultDir}/report.md, results.json (member logs in logs/)`);
    });
}
