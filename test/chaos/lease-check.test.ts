// "Leases not early", judged from a recorded history: a lease's key may vanish
// only once its TTL has run from the grant or from a keep-alive sent in time.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLeases, leaseDeadline } from '../../src/chaos/lease-check.js';
import type { LeaseRecord, RecordedOp } from '../../src/chaos/history.js';

const key = 'l/1/k';

function lease(keepAlives: { callMs: number; ttlSeconds: number }[]): LeaseRecord {
  return { leaseId: '1', key, grantCallMs: 1_000, grantReturnMs: 1_010, ttlSeconds: 4, keepAlives, revokeCallsMs: [] };
}

/** alice's lease key vanishes at revision 7, and bob reads revision 7 back at `seenMs`. */
function judge(record: LeaseRecord, seenMs: number): string[] {
  const ops: RecordedOp[] = [{ id: 1, client: 'bob', host: 'any', input: { kind: 'range', key }, callMs: seenMs - 5, returnMs: seenMs, output: { kind: 'range', revision: 7, kvs: [] } } as unknown as RecordedOp];
  return checkLeases([record], ops, [{ revision: 7, events: [{ type: 'delete', key }] }]).early;
}

test('a key gone before its lease\'s TTL ran out from the last timely keep-alive is early', () => {
  const record = lease([{ callMs: 4_000, ttlSeconds: 4 }]);
  assert.equal(leaseDeadline(record).notBeforeMs, 8_000);
  const early = judge(record, 6_500);
  assert.equal(early.length, 1);
  assert.match(early[0]!, /1500 ms early/);
  assert.deepEqual(judge(record, 8_100), []);
});

test('a keep-alive sent after the lease\'s deadline races its expiry and does not extend it', () => {
  // Granted at 1 s for 4 s: the deadline is 5 s; a keep-alive sent at 5.03 s came too late to count.
  const record = lease([{ callMs: 5_030, ttlSeconds: 4 }]);
  assert.equal(leaseDeadline(record).notBeforeMs, 5_000);
  assert.deepEqual(judge(record, 5_700), []);
  // Had it been sent at 4.9 s, the same disappearance would be early.
  assert.equal(judge(lease([{ callMs: 4_900, ttlSeconds: 4 }]), 5_700).length, 1);
});
