// `trellis demo raft`: the Raft patterns told as a story in the simulator,
// one step at a time, each with a table of what every node holds.
import type { Command } from 'commander';
import { defaultDemoSeed, runRaftDemo, type NodeRow, type RaftDemoStory } from './demo-raft-story.js';
import { parsePositiveInteger } from './parse.js';

export function registerRaftDemo(demo: Command): void {
  demo
    .command('raft')
    .description('Leader and Followers, HeartBeat, Majority Quorum, Generation Clock, High-Water Mark, Replicated Log: a 3-node story in the simulator')
    .option('--seed <n>', 'the simulator seed (one seed, one story)', parsePositiveInteger, defaultDemoSeed)
    .action(async (options: { seed: number }) => {
      const story = await runRaftDemo(options.seed);
      for (const line of formatRaftDemo(story)) console.log(line);
      if (story.violations.length > 0) process.exitCode = 1;
    });
}

export function formatRaftDemo(story: RaftDemoStory): string[] {
  const lines = [`Raft in the simulator: jupiter, saturn and neptune; clients alice and bob (seed ${story.seed}).`, ''];
  for (const [n, step] of story.steps.entries()) {
    lines.push(`${n + 1}. ${step.title} (${step.patterns.join(', ')}) at ${(step.atMs / 1000).toFixed(3)} s`);
    for (const line of step.explanation) lines.push(`   ${line}`);
    lines.push('', ...formatTable(step.table).map((line) => `   ${line}`), '');
  }
  lines.push(
    story.violations.length === 0
      ? `Safety monitor: no violation (one leader per term, matching logs, committed entries kept, same entries applied everywhere). ${(story.simulatedMs / 1000).toFixed(1)} simulated seconds, trace digest ${story.traceDigest}.`
      : `Safety monitor found violations:\n${story.violations.map((v) => `  ${v}`).join('\n')}`,
  );
  return lines;
}

function formatTable(rows: readonly NodeRow[]): string[] {
  const header = ['node', 'role', 'term', 'last index', 'commit index', 'applied index', 'widgets', ''];
  const cells = rows.map((row) =>
    row.role === 'down'
      ? [row.node, 'down', '-', '-', '-', '-', '', row.note]
      : [row.node, row.role, String(row.term), String(row.lastIndex), String(row.commitIndex), String(row.appliedIndex), row.widgets, row.note],
  );
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column]!.length)));
  const numeric = new Set([2, 3, 4, 5]);
  const render = (cell: readonly string[]) =>
    cell.map((text, column) => (numeric.has(column) ? text.padStart(widths[column]!) : text.padEnd(widths[column]!))).join('  ').trimEnd();
  return [render(header), render(widths.map((width) => '-'.repeat(width))).trimEnd(), ...cells.map(render)];
}
