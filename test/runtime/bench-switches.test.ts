// The bench switches turn one pattern off in a benchmarked member; a bad
// value is refused by name rather than silently meaning something else.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/api/etcd/member-config.js';
import { benchSwitches } from '../../src/runtime/node/member-host.js';

test('with no switches set a member runs with every pattern on', () => {
  const switches = benchSwitches({});
  assert.ok(switches.walPreallocateBytes > 0);
  assert.equal(switches.walBatchRecords, undefined);
  assert.equal(switches.maxInflightAppends, undefined);
  assert.equal(switches.peerBatchBytes, undefined);
});

test('each switch is read as the whole number it names', () => {
  const switches = benchSwitches({ TRELLIS_WAL_BATCH_RECORDS: '1', TRELLIS_MAX_INFLIGHT_APPENDS: '1', TRELLIS_PEER_BATCH_BYTES: '1', TRELLIS_WAL_PREALLOCATE_BYTES: '0' });
  assert.deepEqual(switches, { walPreallocateBytes: 0, walBatchRecords: 1, maxInflightAppends: 1, peerBatchBytes: 1 });
});

test('a switch that is not a whole number, or zero where at least one is needed, is refused by name', () => {
  assert.throws(() => benchSwitches({ TRELLIS_WAL_BATCH_RECORDS: 'many' }), (error: unknown) => error instanceof ConfigError && /TRELLIS_WAL_BATCH_RECORDS=many: expected a whole number/.test(error.message));
  assert.throws(() => benchSwitches({ TRELLIS_MAX_INFLIGHT_APPENDS: '0' }), /TRELLIS_MAX_INFLIGHT_APPENDS=0: expected at least 1/);
  assert.throws(() => benchSwitches({ TRELLIS_PEER_BATCH_BYTES: '-4' }), /TRELLIS_PEER_BATCH_BYTES=-4/);
});
