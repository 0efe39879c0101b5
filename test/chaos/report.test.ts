// What a run leaves to read: the summary names each check and the fault
// timeline, the timeline page outlines the requests the checker blamed, and
// the leader-kill figure counts from the kill to the first write sent after
// it and acknowledged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordedOp } from '../../src/chaos/history.js';
import type { FaultRecord } from '../../src/chaos/nemesis.js';
import { formatSummary, summarize, writeUnavailabilityAfterLeaderKillsMs } from '../../src/chaos/report.js';
import { isForbiddenInXml, renderTimeline } from '../../src/chaos/timeline.js';
import { judge } from '../../src/chaos/verdict.js';
import { boston, cleanRun, kv } from './recorded-run.js';

const killLeader: FaultRecord = {
  index: 0, kind: 'kill-leader', applicable: true, targets: ['jupiter'], detail: 'kill -9, restart at heal',
  startMs: 100, healMs: 2_100, recoveredMs: 2_300, observations: [], failures: [],
};

const run = { system: 'etcd', seed: 7, nodes: 3, durationMs: 30_000, network: 'proxy', faultKinds: ['kill-leader'], wallMs: 4_000 };

test('write unavailability runs from the leader kill to the first acknowledged write sent after it', () => {
  const put = (id: number, callMs: number, returnMs: number | undefined): RecordedOp => ({
    id, client: 'bob', host: 'saturn', input: { kind: 'put', key: boston, value: String(id) }, callMs,
    ...(returnMs === undefined ? { error: 'deadline exceeded' } : { returnMs, output: { kind: 'put', revision: id } }),
  });
  // Sent before the kill and answered after it: not evidence the cluster took writes again.
  const ops = [put(1, 90, 1_500), put(2, 120, undefined), put(3, 1_300, 1_450), put(4, 1_200, 1_480)];
  assert.deepEqual(writeUnavailabilityAfterLeaderKillsMs(ops, [killLeader]), [1_350]);
});

test('the summary lists every check and the fault timeline', () => {
  const record = { ...cleanRun(), faults: [killLeader] };
  const verdict = judge(record);
  const text = formatSummary(summarize(run, record, verdict), verdict, record);
  assert.match(text, /^trellis chaos: PASS/);
  for (const check of verdict.checks) assert.ok(text.includes(`[${check.status}] ${check.name}`), check.name);
  assert.match(text, /#0 kill-leader at 100 on jupiter: kill -9, restart at heal; healed 2100, writes again 2300/);
});

test('the timeline outlines the read the checker blamed, and holds no character XML forbids', () => {
  const record = cleanRun();
  const ops = record.ops.map((op) => (op.id === 6 ? { ...op, output: { kind: 'range' as const, revision: 7, kvs: [kv(boston, '9', 2, 4, 2)] } } : op));
  ops.push({ id: 7, client: 'final@jupiter', host: 'jupiter', input: { kind: 'range', key: '\0', rangeEnd: '\0' }, callMs: 3_600, returnMs: 3_601, output: { kind: 'range', revision: 7, kvs: [] } });
  const corrupted = { ...record, ops, faults: [killLeader] };
  const verdict = judge(corrupted);
  const html = renderTimeline(corrupted, verdict, summarize(run, corrupted, verdict));
  assert.match(html, /<rect [^>]*stroke="#e00"[^>]*><title>op 6 alice -&gt; jupiter: range widgets\/\.\. =&gt; revision 7, widgets\/boston=9/);
  assert.match(html, /kill-leader jupiter/);
  assert.ok(![...html].some((c) => isForbiddenInXml(c.charCodeAt(0))));
  assert.match(html, /range \\x00\.\./);
});
