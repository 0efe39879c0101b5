// Many runs in a row (a soak), and the table that sums them up: per run its
// verdict, requests, faults and leader-kill unavailability, then totals and
// percentiles.

import { runChaos, type ChaosOptions, type ChaosResult } from './run.js';
import type { RunSummary } from './report.js';

export interface SoakOptions extends Omit<ChaosOptions, 'seed' | 'nodes'> {
  readonly runs: number;
  readonly firstSeed: number;
  /** 3, 5, or both (alternating). */
  readonly nodes: 3 | 5 | 'both';
  readonly onRunDone?: (result: ChaosResult, done: number) => void;
}

export async function runSoak(options: SoakOptions): Promise<ChaosResult[]> {
  const results: ChaosResult[] = [];
  for (let i = 0; i < options.runs; i++) {
    const nodes = options.nodes === 'both' ? (i % 2 === 0 ? 3 : 5) : options.nodes;
    const result = await runChaos({ ...options, seed: options.firstSeed + i, nodes });
    results.push(result);
    options.onRunDone?.(result, i + 1);
  }
  return results;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A fixed-width table of runs and a totals block. */
export function formatSoakTable(summaries: readonly RunSummary[], runDirs: readonly string[] = []): string {
  const header = ['seed', 'nodes', 'verdict', 'requests', 'unknown', 'faults', 'leader-kill s (median, kills)', 'wall s', 'failed checks'];
  const rows = summaries.map((s) => [
    String(s.seed),
    String(s.nodes),
    s.verdict,
    String(s.ops),
    String(s.opsUnknown),
    String(Object.values(s.faultsInjected).reduce((a, b) => a + b, 0)),
    s.writeUnavailabilityAfterLeaderKillMs.length === 0 ? '-' : `${(percentile(s.writeUnavailabilityAfterLeaderKillMs, 50) / 1000).toFixed(2)} (${s.writeUnavailabilityAfterLeaderKillMs.length})`,
    (s.wallMs / 1000).toFixed(0),
    s.failedChecks.join('; ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const byKind: Record<string, number> = {};
  for (const s of summaries) for (const [kind, n] of Object.entries(s.faultsInjected)) byKind[kind] = (byKind[kind] ?? 0) + n;
  const unavailability = summaries.flatMap((s) => s.writeUnavailabilityAfterLeaderKillMs);
  const notApplicable = [...new Set(summaries.flatMap((s) => s.faultsNotApplicable))];
  lines.push(
    '',
    `runs ${summaries.length}: ${summaries.filter((s) => s.verdict === 'pass').length} pass, ${summaries.filter((s) => s.verdict === 'violation').length} violation, ${summaries.filter((s) => s.verdict === 'unknown').length} unknown`,
    `requests ${summaries.reduce((a, s) => a + s.ops, 0)} (${summaries.reduce((a, s) => a + s.opsUnknown, 0)} with unknown outcome), watch events ${summaries.reduce((a, s) => a + s.watchEvents, 0)}`,
    `faults injected: ${Object.entries(byKind).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    ...(notApplicable.length > 0 ? [`not applicable to this system (not injected, not counted): ${notApplicable.join(', ')}`] : []),
    unavailability.length === 0
      ? 'write unavailability after a leader kill: no leader kills'
      : `write unavailability after a leader kill (${unavailability.length} kills): p50 ${(percentile(unavailability, 50) / 1000).toFixed(2)} s, p99 ${(percentile(unavailability, 99) / 1000).toFixed(2)} s, max ${(Math.max(...unavailability) / 1000).toFixed(2)} s`,
  );
  const failing = summaries.map((s, i) => ({ s, dir: runDirs[i] })).filter(({ s }) => s.verdict !== 'pass');
  for (const { s, dir } of failing) lines.push(`seed ${s.seed} ${s.verdict}: ${dir ?? ''}/summary.txt`);
  return lines.join('\n');
}
