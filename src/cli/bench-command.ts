import type { Command } from 'commander';

export function registerBenchCommand(program: Command): void {
  const bench = program.command('bench').description('measure Trellis on this machine (benchmarks print figures; they are not tests)');
  bench.action(() => bench.help());
}
