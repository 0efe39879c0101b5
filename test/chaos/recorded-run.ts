// A small recorded run, as the harness would record it: the verdict and
// report tests judge it clean and then corrupted.

import { prefixRangeEnd, type KeyValue } from '../../src/check/index.js';
import type { RecordedOp } from '../../src/chaos/history.js';
import type { RunRecord } from '../../src/chaos/verdict.js';

export const kv = (key: string, value: string, createRevision: number, modRevision: number, version: number): KeyValue => ({ key, value, createRevision, modRevision, version });
export const boston = 'widgets/boston';
export const pune = 'widgets/pune';
export const leaseKey = 'l/a/k';

/**
 * alice (on jupiter) and bob (on saturn) count widgets; carol's put to pune
 * timed out but took effect; the lessee's key lived on a 3-second lease that
 * expired; alice's last read sees it all.
 */
export function cleanRun(): RunRecord {
  const ops: RecordedOp[] = [
    { id: 0, client: 'alice', host: 'jupiter', input: { kind: 'put', key: boston, value: '10' }, callMs: 0, returnMs: 5, output: { kind: 'put', revision: 2, prevKv: null } },
    { id: 1, client: 'bob', host: 'saturn', input: { kind: 'put', key: pune, value: '3' }, callMs: 6, returnMs: 9, output: { kind: 'put', revision: 3, prevKv: null } },
    { id: 2, client: 'alice', host: 'jupiter', input: { kind: 'range', key: boston }, callMs: 10, returnMs: 12, output: { kind: 'range', revision: 3, kvs: [kv(boston, '10', 2, 2, 1)] } },
    {
      id: 3, client: 'bob', host: 'saturn', callMs: 13, returnMs: 16,
      input: { kind: 'txn', compare: [{ key: boston, target: 'mod', result: 'equal', operand: 2 }], success: [{ kind: 'put', key: boston, value: '8' }], failure: [{ kind: 'range', key: boston }] },
      output: { kind: 'txn', revision: 4, succeeded: true, responses: [{ kind: 'put', revision: 4 }] },
    },
    { id: 4, client: 'lessee', host: 'any', input: { kind: 'put', key: leaseKey, value: 'lessee.a' }, callMs: 20, returnMs: 22, output: { kind: 'put', revision: 5 } },
    { id: 5, client: 'carol', host: 'neptune', input: { kind: 'put', key: pune, value: '4' }, callMs: 30, error: 'deadline exceeded' },
    {
      id: 6, client: 'alice', host: 'jupiter', input: { kind: 'range', key: 'widgets/', rangeEnd: prefixRangeEnd('widgets/') }, callMs: 3_500, returnMs: 3_502,
      output: { kind: 'range', revision: 7, kvs: [kv(boston, '8', 2, 4, 2), kv(pune, '4', 3, 6, 2)] },
    },
  ];
  return {
    initialRevision: 1,
    ops,
    leases: [{ leaseId: '10', key: leaseKey, grantCallMs: 18, grantReturnMs: 19, ttlSeconds: 3, putOpId: 4, keepAlives: [], revokeCallsMs: [] }],
    watchers: [{
      spec: { watcherId: 'watch-widgets', key: 'widgets/', rangeEnd: prefixRangeEnd('widgets/'), startRevision: 1, prevKv: true },
      host: 'any', streams: 2, cancelReasons: [], lastRevision: 6,
      responses: [
        [{ type: 'put', key: boston, revision: 2, value: '10', createRevision: 2, version: 1, prevKv: null }],
        [{ type: 'put', key: pune, revision: 3, value: '3', createRevision: 3, version: 1, prevKv: null }],
        [{ type: 'put', key: boston, revision: 4, value: '8', createRevision: 2, version: 2, prevKv: kv(boston, '10', 2, 2, 1) }],
        [{ type: 'put', key: pune, revision: 6, value: '4', createRevision: 3, version: 2, prevKv: kv(pune, '3', 3, 3, 1) }],
      ],
    }],
    committed: [
      { revision: 2, events: [{ type: 'put', key: boston, value: '10' }] },
      { revision: 3, events: [{ type: 'put', key: pune, value: '3' }] },
      { revision: 4, events: [{ type: 'put', key: boston, value: '8' }] },
      { revision: 5, events: [{ type: 'put', key: leaseKey, value: 'lessee.a' }] },
      { revision: 6, events: [{ type: 'put', key: pune, value: '4' }] },
      { revision: 7, events: [{ type: 'delete', key: leaseKey }] },
    ],
    finalRevision: 7,
    faults: [],
    finalRecovery: { healedMs: 3_400, recoveredMs: 3_450, boundMs: 20_000 },
    hashes: ['jupiter', 'saturn', 'neptune'].map((slot) => ({ slot, revision: 7, hash: '1234', compactRevision: -1 })),
    compaction: { compactRevision: 3, members: ['jupiter', 'saturn', 'neptune'].map((slot) => ({ slot, canceled: true, reportedCompactRevision: 3, rangeRefused: true, resumedFirstRevision: 3 })) },
    watchersBehind: [],
  };
}

