// The verdict stage: everything recorded in a run goes in, one result per
// check comes out. It is a pure function of the record, so a recorded (or
// deliberately corrupted) history can be judged again without a cluster.

import { checkMvccHistory, checkWatches, formatCheckResult, type CommittedRevision, type MvccInput, type MvccOutput, type Operation, type Violation } from '../check/index.js';
import { checkCommitted, leaseEndInputs } from './committed-check.js';
import type { LeaseRecord, RecordedOp, RecordedWatcher } from './history.js';
import { checkLeases } from './lease-check.js';
import type { FaultRecord } from './nemesis.js';

export interface HashReport {
  readonly slot: string;
  readonly revision?: number;
  readonly hash?: string;
  readonly compactRevision?: number;
  readonly error?: string;
}

export interface CompactionReport {
  readonly compactRevision: number;
  /** Per member: what a watch from before the compaction got, and what one from it got. */
  readonly members: readonly { readonly slot: string; readonly canceled: boolean; readonly reportedCompactRevision?: number; readonly rangeRefused: boolean; readonly resumedFirstRevision?: number; readonly error?: string }[];
}

export interface RunRecord {
  /** The store's revision when the workload began, empty: etcd starts at revision 1. */
  readonly initialRevision: number;
  readonly ops: readonly RecordedOp[];
  readonly leases: readonly LeaseRecord[];
  readonly watchers: readonly RecordedWatcher[];
  /** The cluster's writes, read back at the end; absent when that failed (the reason says why). */
  readonly committed?: readonly CommittedRevision[];
  readonly committedError?: string;
  readonly finalRevision?: number;
  readonly faults: readonly FaultRecord[];
  readonly finalRecovery: { readonly healedMs: number; readonly recoveredMs?: number; readonly boundMs: number };
  readonly hashes: readonly HashReport[];
  readonly compaction?: CompactionReport;
  /** Watchers that had not reached the last revision they select when the run ended. */
  readonly watchersBehind: readonly string[];
  /** Member exits the harness did not cause (absent in runs recorded before it was tracked). */
  readonly unexpectedExits?: readonly string[];
}

export type CheckStatus = 'pass' | 'fail' | 'unknown' | 'not-applicable';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

export interface Verdict {
  readonly verdict: 'pass' | 'violation' | 'unknown';
  readonly checks: readonly CheckResult[];
  /** The ops the linearizability checker blamed, for the timeline. */
  readonly blamedOpIds: readonly number[];
}

type MvccOperation = Operation<MvccInput, MvccOutput> & { readonly opId?: number };

/** The history as the checker takes it: definite failures dropped, lease ends added as writes that may happen any time. */
export function checkerHistory(ops: readonly RecordedOp[], leases: readonly LeaseRecord[]): MvccOperation[] {
  const history: MvccOperation[] = [];
  for (const op of ops) {
    if (op.definite === true) continue;
    if (op.output !== undefined && op.returnMs !== undefined) history.push({ clientId: op.client, input: op.input, output: op.output, callMs: op.callMs, returnMs: op.returnMs, opId: op.id });
    else history.push({ clientId: op.client, input: op.input, callMs: op.callMs, opId: op.id });
  }
  for (const { lease, input } of leaseEndInputs(leases)) history.push({ clientId: `lease ${lease.leaseId} ends`, input, callMs: lease.grantCallMs });
  return history;
}

export function judge(record: RunRecord): Verdict {
  const checks: CheckResult[] = [];
  const blamed: number[] = [];

  const initial = { revision: record.initialRevision, kvs: [] };
  const linear = checkMvccHistory(checkerHistory(record.ops, record.leases), { initial });
  if (linear.verdict === 'violation') blamed.push(...blamedOps(linear.violation));
  checks.push({ name: 'linearizability', status: linear.verdict === 'ok' ? 'pass' : linear.verdict === 'violation' ? 'fail' : 'unknown', detail: formatCheckResult(linear) });

  if (record.committed === undefined) {
    const why = `the cluster's history could not be read back: ${record.committedError ?? 'unknown reason'}`;
    for (const name of ['no acknowledged write lost', 'no phantom write', 'watch guarantees', 'leases not early']) checks.push({ name, status: 'unknown', detail: why });
  } else {
    const committed = checkCommitted(record.ops, record.committed);
    const writes = record.ops.filter((op) => op.output !== undefined).length;
    checks.push({ name: 'no acknowledged write lost', status: committed.lost.length === 0 ? 'pass' : 'fail', detail: committed.lost.join('\n') || `every acknowledged write is where its response said, among ${record.committed.length} revisions (${writes} completed requests)` });
    checks.push({ name: 'no phantom write', status: committed.phantom.length === 0 ? 'pass' : 'fail', detail: committed.phantom.join('\n') || 'every revision is a request some client sent, or a lease ending' });
    const watches = checkWatches(record.watchers, record.committed, { initial });
    const events = record.watchers.reduce((sum, w) => sum + w.responses.reduce((s, r) => s + r.length, 0), 0);
    const resumed = record.watchers.reduce((sum, w) => sum + Math.max(0, w.streams - 1), 0);
    const behind = record.watchersBehind.map((w) => `watcher ${w} did not catch up with the final revision after the heal`);
    checks.push({
      name: 'watch guarantees',
      status: watches.ok && behind.length === 0 ? 'pass' : 'fail',
      detail: [watches.text, ...behind].filter((t) => t !== '').join('\n') || `${record.watchers.length} watchers, ${events} events, ${resumed} resumptions: ordered, unique, no gaps, atomic, prev_kv right`,
    });
    const leases = checkLeases(record.leases, record.ops, record.committed);
    checks.push({ name: 'leases not early', status: leases.early.length === 0 ? 'pass' : 'fail', detail: leases.early.join('\n') || `${leases.checked} of ${record.leases.length} leases ended during the run, none before its time` });
  }

  checks.push(hashCheck(record.hashes));
  checks.push(compactionCheck(record.compaction));
  const recoveryFailures = record.faults.flatMap((f) => f.failures.filter((text) => text.startsWith('no write')).map((text) => `fault #${f.index} ${f.kind}: ${text}`));
  if (record.finalRecovery.recoveredMs === undefined) recoveryFailures.push(`no write was acknowledged within ${record.finalRecovery.boundMs} ms of the final heal`);
  const recoveries = record.faults.filter((f) => f.recoveredMs !== undefined && f.healMs !== undefined).map((f) => f.recoveredMs! - f.healMs!);
  checks.push({
    name: 'writes resume after heal',
    status: recoveryFailures.length === 0 ? 'pass' : 'fail',
    detail: recoveryFailures.join('\n') || `after ${recoveries.length + 1} heals; slowest ${Math.max(0, ...recoveries, (record.finalRecovery.recoveredMs ?? 0) - record.finalRecovery.healedMs).toFixed(0)} ms (bound ${record.finalRecovery.boundMs} ms)`,
  });
  const exits = record.unexpectedExits ?? [];
  checks.push({ name: 'members stay up unless stopped', status: exits.length === 0 ? 'pass' : 'fail', detail: exits.join('\n') || 'no member exited but those the harness killed or let stop on a disk fault' });
  const faultFailures = record.faults.flatMap((f) => f.failures.filter((text) => !text.startsWith('no write')).map((text) => `fault #${f.index} ${f.kind}: ${text}`));
  checks.push({ name: 'fault-specific checks', status: faultFailures.length === 0 ? 'pass' : 'fail', detail: faultFailures.join('\n') || faultObservations(record.faults) });
  const notApplicable = [...new Set(record.faults.filter((f) => !f.applicable).map((f) => `${f.kind}: ${f.reason}`))];
  if (notApplicable.length > 0) checks.push({ name: 'faults not applicable to this system', status: 'not-applicable', detail: notApplicable.join('\n') });

  const verdict = checks.some((c) => c.status === 'fail') ? 'violation' : checks.some((c) => c.status === 'unknown') ? 'unknown' : 'pass';
  return { verdict, checks, blamedOpIds: blamed };
}

function blamedOps(violation: Violation<MvccInput, MvccOutput>): number[] {
  return [violation.blocking, ...violation.unplaced]
    .map((op) => (op as MvccOperation).opId)
    .filter((id): id is number => id !== undefined);
}

function hashCheck(hashes: readonly HashReport[]): CheckResult {
  const name = 'equal hashkv on all members';
  const failed = hashes.filter((h) => h.error !== undefined);
  if (hashes.length === 0) return { name, status: 'unknown', detail: 'no member was asked' };
  if (failed.length > 0) return { name, status: 'unknown', detail: failed.map((h) => `${h.slot}: ${h.error}`).join('\n') };
  const distinct = new Set(hashes.map((h) => `${h.hash}@${h.revision}`));
  const detail = hashes.map((h) => `${h.slot}: hash ${h.hash} at revision ${h.revision} (compacted at ${h.compactRevision})`).join('\n');
  return { name, status: distinct.size === 1 ? 'pass' : 'fail', detail };
}

function compactionCheck(report: CompactionReport | undefined): CheckResult {
  const name = 'compaction cancels old watches';
  if (report === undefined) return { name, status: 'unknown', detail: 'the compaction step did not run' };
  const problems = report.members.flatMap((m) => {
    if (m.error !== undefined) return [`${m.slot}: ${m.error}`];
    const found: string[] = [];
    if (!m.canceled) found.push(`${m.slot}: a watch from revision ${report.compactRevision - 1} was not canceled after compaction at ${report.compactRevision}`);
    else if (m.reportedCompactRevision !== report.compactRevision) found.push(`${m.slot}: the cancel named compact revision ${m.reportedCompactRevision}, not ${report.compactRevision}`);
    if (!m.rangeRefused) found.push(`${m.slot}: a range at compacted revision ${report.compactRevision - 1} was served`);
    if (m.resumedFirstRevision !== undefined && m.resumedFirstRevision < report.compactRevision) found.push(`${m.slot}: a watch from ${report.compactRevision} delivered revision ${m.resumedFirstRevision}`);
    return found;
  });
  return { name, status: problems.length === 0 ? 'pass' : 'fail', detail: problems.join('\n') || `compacted at ${report.compactRevision}: every member canceled a watch from before it, naming it, refused ranges before it, and served watches from it` };
}

function faultObservations(faults: readonly FaultRecord[]): string {
  const lines = faults.filter((f) => f.observations.length > 0 && (f.kind === 'fsync-error' || f.kind === 'disk-full' || f.kind === 'replace-member')).map((f) => `fault #${f.index} ${f.kind} on ${f.targets.join(',')}: ${f.observations.join('; ')}`);
  return lines.join('\n') || 'none applied';
}
