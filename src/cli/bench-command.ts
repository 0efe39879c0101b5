import type { Command } from 'commander';
import { runChannelBench } from '../bench/channel.js';
import { runKvBench } from '../bench/kv.js';
import { registerEtcdBench } from '../bench/etcd/command.js';
import { runWalBench } from '../bench/wal.js';
import { registerMemoryBench } from '../bench/etcd/memory-command.js';
import { parsePositiveInteger } from './parse.js';

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

  registerMemoryBench(bench);
}
