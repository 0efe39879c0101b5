// The run directory: everything needed to read a violation without running
// again. history.jsonl (one request per line), leases.json, watches.json,
// committed.jsonl (the cluster's writes as read back), faults.jsonl (the
// fault timeline), verdict.json, summary.txt, timeline.html, plus the
// members' logs and the harness log written during the run.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultRecord } from './nemesis.js';
import { renderTimeline } from './timeline.js';
import type { RunRecord, Verdict } from './verdict.js';
import type { RecordedOp } from './history.js';

export interface RunSummary {
  readonly system: string;
  readonly seed: number;
  readonly nodes: number;
  readonly durationMs: number;
  readonly network: string;
  readonly faultKinds: readonly string[];
  readonly wallMs: number;
  readonly verdict: Verdict['verdict'];
  readonly ops: number;
  readonly opsCompleted: number;
  readonly opsUnknown: number;
  readonly leases: number;
  readonly watchEvents: number;
  readonly finalRevision: number;
  /** Episodes injected, by kind (not-applicable ones are listed apart). */
  readonly faultsInjected: Readonly<Record<string, number>>;
  readonly faultsNotApplicable: readonly string[];
  /** From each leader kill to the first acknowledged write sent after it. */
  readonly writeUnavailabilityAfterLeaderKillMs: readonly number[];
  readonly failedChecks: readonly string[];
}

/** Whether the response shows the request changed the store. */
export function acknowledgedWrite(op: RecordedOp): boolean {
  const output = op.output;
  if (output === undefined || op.returnMs === undefined) return false;
  if (output.kind === 'put') return true;
  if (output.kind === 'delete-range') return output.deleted > 0;
  if (output.kind === 'txn') return output.succeeded && output.responses.some((r) => r.kind === 'put');
  return false;
}

export function writeUnavailabilityAfterLeaderKillsMs(ops: readonly RecordedOp[], faults: readonly FaultRecord[]): number[] {
  const gaps: number[] = [];
  for (const fault of faults) {
    if (fault.kind !== 'kill-leader' || !fault.applicable) continue;
    let first = Infinity;
    for (const op of ops) if (op.callMs >= fault.startMs && acknowledgedWrite(op)) first = Math.min(first, op.returnMs!);
    if (Number.isFinite(first)) gaps.push(first - fault.startMs);
  }
  return gaps;
}

export function summarize(
  run: { system: string; seed: number; nodes: number; durationMs: number; network: string; faultKinds: readonly string[]; wallMs: number },
  record: RunRecord,
  verdict: Verdict,
): RunSummary {
  const faultsInjected: Record<string, number> = {};
  for (const fault of record.faults) if (fault.applicable) faultsInjected[fault.kind] = (faultsInjected[fault.kind] ?? 0) + 1;
  return {
    ...run,
    verdict: verdict.verdict,
    ops: record.ops.length,
    opsCompleted: record.ops.filter((op) => op.output !== undefined).length,
    opsUnknown: record.ops.filter((op) => op.output === undefined && op.definite !== true).length,
    leases: record.leases.length,
    watchEvents: record.watchers.reduce((sum, w) => sum + w.responses.reduce((s, r) => s + r.length, 0), 0),
    finalRevision: record.finalRevision ?? 0,
    faultsInjected,
    faultsNotApplicable: [...new Set(record.faults.filter((f) => !f.applicable).map((f) => f.kind))],
    writeUnavailabilityAfterLeaderKillMs: writeUnavailabilityAfterLeaderKillsMs(record.ops, record.faults),
    failedChecks: verdict.checks.filter((c) => c.status === 'fail' || c.status === 'unknown').map((c) => c.name),
  };
}

export function formatSummary(summary: RunSummary, verdict: Verdict, record: RunRecord): string {
  const lines = [
    `trellis chaos: ${summary.verdict.toUpperCase()}`,
    `system ${summary.system}, ${summary.nodes} members, seed ${summary.seed}, ${(summary.durationMs / 1000).toFixed(0)} s of workload (${(summary.wallMs / 1000).toFixed(1)} s in all), ${summary.network} network`,
    `requests: ${summary.ops} (${summary.opsCompleted} answered, ${summary.opsUnknown} with unknown outcome); leases ${summary.leases}; watch events ${summary.watchEvents}; final revision ${summary.finalRevision}`,
    '',
    'checks:',
  ];
  for (const check of verdict.checks) {
    lines.push(`  [${check.status}] ${check.name}`);
    for (const line of check.detail.split('\n').slice(0, 40)) lines.push(`      ${line}`);
  }
  lines.push('', 'fault timeline (ms since start):');
  for (const fault of record.faults) lines.push(`  ${describeFault(fault)}`);
  if (summary.writeUnavailabilityAfterLeaderKillMs.length > 0) {
    lines.push('', `write unavailability after leader kills: ${summary.writeUnavailabilityAfterLeaderKillMs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}`);
  }
  lines.push('', 'files: history.jsonl, faults.jsonl, committed.jsonl, watches.json, leases.json, verdict.json, timeline.html, harness.log, logs/');
  return lines.join('\n') + '\n';
}

export function describeFault(fault: FaultRecord): string {
  if (!fault.applicable) return `#${fault.index} ${fault.kind}: not applicable (${fault.reason})`;
  const heal = fault.healMs === undefined ? '' : ` healed ${fault.healMs.toFixed(0)}`;
  const recovered = fault.recoveredMs === undefined ? '' : `, writes again ${fault.recoveredMs.toFixed(0)}`;
  const notes = [...fault.observations, ...fault.failures.map((f) => `FAILED: ${f}`)];
  return `#${fault.index} ${fault.kind} at ${fault.startMs.toFixed(0)} on ${fault.targets.join(',') || '-'}: ${fault.detail};${heal}${recovered}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** What verdict.json keeps of the record beyond the files of its own. */
export type RunFacts = Pick<RunRecord, 'initialRevision' | 'finalRevision' | 'finalRecovery' | 'hashes' | 'compaction' | 'watchersBehind' | 'committedError' | 'unexpectedExits'>;

const jsonl = (items: readonly unknown[]): string => items.map((item) => JSON.stringify(item)).join('\n') + (items.length > 0 ? '\n' : '');

/** Writes the run's files; returns the human summary. */
export function writeRunDirectory(runDir: string, record: RunRecord, verdict: Verdict, summary: RunSummary, networkStats: unknown): string {
  writeFileSync(join(runDir, 'history.jsonl'), jsonl(record.ops));
  writeFileSync(join(runDir, 'faults.jsonl'), jsonl(record.faults));
  writeFileSync(join(runDir, 'committed.jsonl'), jsonl(record.committed ?? []));
  writeFileSync(join(runDir, 'leases.json'), JSON.stringify(record.leases, null, 1));
  writeFileSync(join(runDir, 'watches.json'), JSON.stringify(record.watchers));
  const facts: RunFacts = {
    initialRevision: record.initialRevision,
    finalRevision: record.finalRevision,
    finalRecovery: record.finalRecovery,
    hashes: record.hashes,
    compaction: record.compaction,
    watchersBehind: record.watchersBehind,
    committedError: record.committedError,
    unexpectedExits: record.unexpectedExits,
  };
  writeFileSync(join(runDir, 'verdict.json'), JSON.stringify({ ...verdict, summary, facts, network: networkStats }, null, 2));
  const text = formatSummary(summary, verdict, record);
  writeFileSync(join(runDir, 'summary.txt'), text);
  writeFileSync(join(runDir, 'timeline.html'), renderTimeline(record, verdict, summary));
  return text;
}
