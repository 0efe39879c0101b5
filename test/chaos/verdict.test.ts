// The verdict stage on a recorded run, clean and then corrupted one way at a
// time: each corruption must turn exactly the check that guards it into a
// failure, with a message that names what went wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordedOp } from '../../src/chaos/history.js';
import { judge, type RunRecord } from '../../src/chaos/verdict.js';
import { boston, cleanRun, kv, pune } from './recorded-run.js';

function failedChecks(record: RunRecord): string[] {
  return judge(record).checks.filter((c) => c.status === 'fail').map((c) => c.name);
}

function detailOf(record: RunRecord, name: string): string {
  return judge(record).checks.find((c) => c.name === name)!.detail;
}

test('the clean run passes every check', () => {
  const verdict = judge(cleanRun());
  assert.equal(verdict.verdict, 'pass', verdict.checks.map((c) => `${c.name}: ${c.status}\n${c.detail}`).join('\n'));
});

test('alice reading a boston count nobody wrote is a linearizability violation that blames her read', () => {
  const record = cleanRun();
  const read = record.ops[6]!;
  (record.ops as RecordedOp[])[6] = { ...read, output: { kind: 'range', revision: 7, kvs: [kv(boston, '9', 2, 4, 2), kv(pune, '4', 3, 6, 2)] } };
  const verdict = judge(record);
  assert.equal(verdict.verdict, 'violation');
  assert.deepEqual(failedChecks(record), ['linearizability']);
  assert.match(detailOf(record, 'linearizability'), /saw widgets\/boston = "9" at mod revision 4/);
  assert.ok(verdict.blamedOpIds.includes(6));
});

test('a stale read served after bob\'s acknowledged write is a violation', () => {
  const record = cleanRun();
  (record.ops as RecordedOp[]).push({ id: 7, client: 'alice', host: 'jupiter', input: { kind: 'range', key: boston }, callMs: 17, returnMs: 18, output: { kind: 'range', revision: 3, kvs: [kv(boston, '10', 2, 2, 1)] } });
  assert.deepEqual(failedChecks(record), ['linearizability']);
  assert.match(detailOf(record, 'linearizability'), /returned before alice: .* was called/);
});

test('bob\'s acknowledged txn missing from the cluster\'s history is a lost write', () => {
  const record = { ...cleanRun() };
  const committed = record.committed!.map((c) => (c.revision === 4 ? { revision: 4, events: [{ type: 'put' as const, key: boston, value: '10' }] } : c));
  const failed = failedChecks({ ...record, committed });
  assert.ok(failed.includes('no acknowledged write lost'), failed.join(', '));
  assert.match(detailOf({ ...record, committed }, 'no acknowledged write lost'), /bob was told put widgets\/boston="8" took revision 4 .* but the cluster holds put widgets\/boston="10" there/);
});

test('a revision no client asked for is a phantom write', () => {
  const record = cleanRun();
  const committed = [...record.committed!, { revision: 8, events: [{ type: 'put' as const, key: 'widgets/london', value: 'mallory' }] }];
  assert.deepEqual(failedChecks({ ...record, committed }), ['no phantom write']);
  assert.match(detailOf({ ...record, committed }, 'no phantom write'), /revision 8 holds put widgets\/london="mallory"/);
});

test('a watcher that never received bob\'s txn has a gap', () => {
  const record = cleanRun();
  const watcher = record.watchers[0]!;
  const broken = { ...watcher, responses: watcher.responses.filter((events) => events[0]!.revision !== 4) };
  assert.deepEqual(failedChecks({ ...record, watchers: [broken] }), ['watch guarantees']);
  assert.match(detailOf({ ...record, watchers: [broken] }, 'watch guarantees'), /revision 4, key widgets\/boston: gap/);
});

test('a lease key seen gone a second after the grant of a 3-second lease expired early', () => {
  const record = cleanRun();
  const ops = record.ops.map((op) => (op.id === 6 ? { ...op, callMs: 1_000, returnMs: 1_002 } : op));
  assert.deepEqual(failedChecks({ ...record, ops }), ['leases not early']);
  assert.match(detailOf({ ...record, ops }, 'leases not early'), /lease 10 .* lost its key l\/a\/k at revision 7, which a client saw by 1002 ms: 2016 ms early/);
});

test('a revoked lease may lose its key at once', () => {
  const record = cleanRun();
  const ops = record.ops.map((op) => (op.id === 6 ? { ...op, callMs: 1_000, returnMs: 1_002 } : op));
  const leases = [{ ...record.leases[0]!, revokeCallsMs: [500] }];
  assert.equal(judge({ ...record, ops, leases }).verdict, 'pass');
});

test('members disagreeing on hashkv fail the hash check', () => {
  const record = cleanRun();
  const hashes = record.hashes.map((h) => (h.slot === 'neptune' ? { ...h, hash: '999' } : h));
  assert.deepEqual(failedChecks({ ...record, hashes }), ['equal hashkv on all members']);
});

test('a cluster that took no write after the final heal fails recovery', () => {
  const record = cleanRun();
  const finalRecovery = { healedMs: 3_400, boundMs: 20_000 };
  assert.deepEqual(failedChecks({ ...record, finalRecovery }), ['writes resume after heal']);
});

test('a watch from before the compaction that was served fails the compaction check', () => {
  const record = cleanRun();
  const compaction = { ...record.compaction!, members: record.compaction!.members.map((m) => (m.slot === 'saturn' ? { ...m, canceled: false } : m)) };
  assert.deepEqual(failedChecks({ ...record, compaction }), ['compaction cancels old watches']);
  assert.match(detailOf({ ...record, compaction }, 'compaction cancels old watches'), /saturn: a watch from revision 2 was not canceled/);
});

test('a history the cluster could not give back makes the verdict unknown, not a pass', () => {
  const record = cleanRun();
  const { committed: _committed, ...rest } = record;
  const verdict = judge({ ...rest, committedError: 'no answer within 30000 ms' });
  assert.equal(verdict.verdict, 'unknown');
});

test('a member that exited without the harness stopping it fails the check that members stay up', () => {
  const record = { ...cleanRun(), unexpectedExits: ['saturn exited at 12188 ms (code 0, signal null): see logs/saturn.log'] };
  assert.deepEqual(failedChecks(record), ['members stay up unless stopped']);
});
