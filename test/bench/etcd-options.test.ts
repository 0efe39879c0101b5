import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimatedSeconds, parseEtcdBenchOptions, type RawEtcdBenchOptions } from '../../src/bench/etcd/options.js';
import { WORKLOADS } from '../../src/bench/etcd/workloads.js';

const known = ['etcd', 'etcd-b', 'trellis'];
const defaults: RawEtcdBenchOptions = {
  systems: 'etcd,trellis', workloads: WORKLOADS.map((w) => w.name).join(','), rounds: '2', durationS: '15', warmupS: '3',
  keys: '10000', valueBytes: '256', outDir: 'bench-results', tmpDir: '/tmp', keepData: false, loadgenProcs: '1',
};

test('the defaults are the issue\'s run: etcd then trellis, every workload, A B A B, 15 s after 3 s of warm-up', () => {
  const options = parseEtcdBenchOptions(defaults, known);
  assert.deepEqual(options.systems, ['etcd', 'trellis']);
  assert.deepEqual(options.workloads.map((w) => w.name), ['put1', 'put64', 'put256', 'range-lin', 'range-ser', 'mixed', 'watch']);
  assert.equal(options.rounds, 2);
  assert.equal(options.durationS, 15);
  assert.equal(options.warmupS, 3);
  assert.equal(options.keys, 10_000);
  assert.equal(options.valueBytes, 256);
  // 2 systems x 2 rounds x (7 workloads x 19 s + start and preload): about ten minutes.
  assert.equal(estimatedSeconds(options), 2 * 2 * (5 + 5 + 7 * 19));
});

test('a quick run picks workloads, in the issue\'s order whatever order they are named in', () => {
  const options = parseEtcdBenchOptions({ ...defaults, workloads: 'range-lin, put64', durationS: '3', warmupS: '1' }, known);
  assert.deepEqual(options.workloads.map((w) => w.name), ['put64', 'range-lin']);
  assert.equal(options.durationS, 3);
  assert.equal(options.warmupS, 1);
});

test('bad flags are refused with a message naming the flag and what it takes', () => {
  const refused = (raw: Partial<RawEtcdBenchOptions>, message: RegExp): void => {
    assert.throws(() => parseEtcdBenchOptions({ ...defaults, ...raw }, known), message);
  };
  refused({ systems: 'etcd,zookeeper' }, /--systems: unknown system "zookeeper"; choose from etcd, etcd-b, trellis/);
  refused({ systems: 'etcd,etcd' }, /names a system twice.*--systems etcd,etcd-b/);
  refused({ systems: 'etcd,etcd-b,trellis' }, /at most two systems/);
  refused({ systems: ' , ' }, /--systems needs at least one name/);
  refused({ workloads: 'put64,put65' }, /--workloads: unknown workload "put65"; choose from put1, put64/);
  refused({ workloads: 'put1,put1' }, /names a workload twice/);
  refused({ durationS: 'abc' }, /--duration-s must be a number of seconds from 0.5 to 600, got "abc"/);
  refused({ durationS: '0' }, /--duration-s/);
  refused({ warmupS: '-1' }, /--warmup-s/);
  refused({ rounds: '1.5' }, /--rounds must be a whole number from 1 to 10/);
  refused({ rounds: '0' }, /--rounds/);
  refused({ keys: '' }, /--keys/);
  refused({ valueBytes: '4' }, /--value-bytes must be a whole number from 8/);
  refused({ loadgenProcs: 'two' }, /--loadgen-procs/);
});
