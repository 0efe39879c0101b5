import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEMBER_NAMES, planMembers } from '../../src/bench/etcd/cluster.js';
import { benchSystems, defaultClusterSettings, etcdStyleFlags } from '../../src/bench/etcd/systems.js';
import { memberNodeFlags } from '../../src/runtime/node/member-node-flags.js';

const plans = planMembers(defaultClusterSettings, '/data/run', 'bench-etcd-r1', [2379, 2479, 2579], [2380, 2480, 2580]);

function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
}

test('three members on 127.0.0.1, each with its own data directory and ports, all in one initial cluster', () => {
  assert.deepEqual(plans.map((p) => p.name), [...MEMBER_NAMES]);
  const saturn = etcdStyleFlags(plans[1]!);
  assert.equal(flag(saturn, '--name'), 'saturn');
  assert.equal(flag(saturn, '--data-dir'), '/data/run/saturn');
  assert.equal(flag(saturn, '--listen-client-urls'), 'http://127.0.0.1:2479');
  assert.equal(flag(saturn, '--advertise-client-urls'), 'http://127.0.0.1:2479');
  assert.equal(flag(saturn, '--listen-peer-urls'), 'http://127.0.0.1:2480');
  assert.equal(flag(saturn, '--initial-advertise-peer-urls'), 'http://127.0.0.1:2480');
  assert.equal(flag(saturn, '--initial-cluster'), 'jupiter=http://127.0.0.1:2380,saturn=http://127.0.0.1:2480,neptune=http://127.0.0.1:2580');
  assert.equal(flag(saturn, '--initial-cluster-state'), 'new');
  assert.equal(flag(saturn, '--initial-cluster-token'), 'bench-etcd-r1');
});

test('etcd and trellis are launched with the same etcd-style flags and the same settings', () => {
  const systems = benchSystems();
  const etcd = systems.get('etcd')!.command(plans[0]!, { unsafeStaleReads: false });
  const trellis = systems.get('trellis')!.command(plans[0]!, { unsafeStaleReads: false });
  assert.equal(etcd.binary, '/usr/bin/etcd');
  assert.equal(trellis.binary, process.execPath);
  // Node's flags first: the members' young generation (member-node-flags.ts).
  assert.deepEqual(trellis.args.slice(0, 1), memberNodeFlags());
  assert.match(trellis.args[1]!, /cli\/main\.js$/);
  assert.equal(trellis.args[2], 'server');
  const shared = etcdStyleFlags(plans[0]!);
  assert.deepEqual(etcd.args.slice(0, shared.length), shared);
  assert.deepEqual(trellis.args.slice(3), shared);
  for (const args of [etcd.args, trellis.args]) {
    assert.equal(flag(args, '--heartbeat-interval'), '100');
    assert.equal(flag(args, '--election-timeout'), '1000');
    assert.equal(flag(args, '--snapshot-count'), '100000');
    assert.equal(flag(args, '--quota-backend-bytes'), String(2 * 1024 ** 3));
    assert.equal(flag(args, '--max-request-bytes'), String(1.5 * 1024 * 1024));
  }
});

test('etcd-b is etcd under a second label, for measuring etcd against itself', () => {
  const systems = benchSystems();
  assert.equal(systems.get('etcd-b')!.name, 'etcd-b');
  assert.deepEqual(systems.get('etcd-b')!.command(plans[2]!, { unsafeStaleReads: false }), systems.get('etcd')!.command(plans[2]!, { unsafeStaleReads: false }));
});
