// Reading a run directory back: the record it holds can be judged again
// (after a checker change, or to study a violation) without the cluster,
// and the verdict, summary and timeline rewritten from it.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommittedRevision } from '../check/index.js';
import type { LeaseRecord, RecordedOp, RecordedWatcher } from './history.js';
import type { FaultRecord } from './nemesis.js';
import { summarize, writeRunDirectory, type RunFacts, type RunSummary } from './report.js';
import { judge, type RunRecord, type Verdict } from './verdict.js';

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as T);
}

export function loadRunDirectory(runDir: string): { record: RunRecord; summary: RunSummary } {
  const verdictPath = join(runDir, 'verdict.json');
  if (!existsSync(verdictPath)) throw new Error(`${runDir} holds no verdict.json: is it a chaos run directory?`);
  const saved = JSON.parse(readFileSync(verdictPath, 'utf8')) as { summary: RunSummary; facts?: RunFacts };
  if (saved.facts === undefined) throw new Error(`${verdictPath} was written by an older harness without the run's facts: it cannot be judged again`);
  const committed = readJsonl<CommittedRevision>(join(runDir, 'committed.jsonl'));
  const record: RunRecord = {
    ...saved.facts,
    ops: readJsonl<RecordedOp>(join(runDir, 'history.jsonl')),
    faults: readJsonl<FaultRecord>(join(runDir, 'faults.jsonl')),
    leases: JSON.parse(readFileSync(join(runDir, 'leases.json'), 'utf8')) as LeaseRecord[],
    watchers: JSON.parse(readFileSync(join(runDir, 'watches.json'), 'utf8')) as RecordedWatcher[],
    ...(saved.facts.committedError === undefined ? { committed } : {}),
  };
  return { record, summary: saved.summary };
}

/** Judges a recorded run again and rewrites its verdict, summary and timeline; returns the summary text. */
export function rejudgeRunDirectory(runDir: string): { verdict: Verdict; summaryText: string } {
  const { record, summary } = loadRunDirectory(runDir);
  const verdict = judge(record);
  const fresh = summarize(summary, record, verdict);
  const summaryText = writeRunDirectory(runDir, record, verdict, fresh, { note: 'judged again from the recorded files' });
  return { verdict, summaryText };
}
