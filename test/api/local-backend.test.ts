// LocalBackend on manual time: leases count down only as time passes,
// keep-alives hold them, expiry deletes attached keys; alarms and
// membership answer as etcd does for a single member.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBackend } from '../../src/api/etcd/local-backend.js';
import { EtcdError } from '../../src/api/etcd/etcd-errors.js';
import { decodeSnapshotFile } from '../../src/api/etcd/snapshot-file.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { ManualTime } from './manual-time.js';

const key = (text: string): Buffer => Buffer.from(text);

function backend(quotaBytes?: number): { time: ManualTime; local: LocalBackend } {
  const time = new ManualTime();
  const local = new LocalBackend({ clock: time, timers: time, memberName: 'jupiter', kvLimits: quotaBytes === undefined ? {} : { quotaBytes } });
  return { time, local };
}

async function count(local: LocalBackend, name: string): Promise<number> {
  return (await local.range({ key: key(name) }, { serializable: true })).body.count;
}

test('alice\'s session key lives while she keeps her lease alive and goes when she stops', async () => {
  const { time, local } = backend();
  const { body: lease } = await local.leaseGrant({ id: 0n, ttlSeconds: 5 });
  await local.put({ key: key('sessions/alice'), value: key('online'), lease: lease.id });
  for (let second = 0; second < 20; second++) {
    time.advance(1_000);
    assert.equal((await local.leaseKeepAlive(lease.id)).body.ttlSeconds, 5);
  }
  assert.equal(await count(local, 'sessions/alice'), 1);
  const ttl = await local.leaseTimeToLive(lease.id, true);
  assert.deepEqual(ttl.body.keys.map((k) => Buffer.from(k).toString()), ['sessions/alice']);
  time.advance(6_000);
  assert.equal(await count(local, 'sessions/alice'), 0);
  assert.equal((await local.leaseTimeToLive(lease.id, false)).body.ttlSeconds, -1);
  assert.equal((await local.leaseKeepAlive(lease.id)).body.ttlSeconds, 0, 'etcd answers a keep-alive for a gone lease with TTL 0');
  local.close();
});

test('a full store raises NOSPACE, refuses writes until the alarm is disarmed, and still serves reads', async () => {
  const { local } = backend(2_000);
  await local.put({ key: key('boston'), value: key('10') });
  await assert.rejects(local.put({ key: key('pune'), value: Buffer.alloc(4_000) }), { message: 'etcdserver: mvcc: database space exceeded' });
  const alarms = await local.alarm('get', 0n, 'none');
  assert.deepEqual(alarms.body.map((a) => a.alarm), ['nospace']);
  await assert.rejects(local.put({ key: key('london'), value: key('3') }), { message: 'etcdserver: mvcc: database space exceeded' });
  assert.equal(await count(local, 'boston'), 1);
  await local.alarm('deactivate', alarms.body[0]!.memberId, 'nospace');
  await local.put({ key: key('london'), value: key('3') });
  assert.equal(await count(local, 'london'), 1);
  local.close();
});

test('a single member answers membership changes as etcd would, or says why it cannot', async () => {
  const { local } = backend();
  const [self] = (await local.memberList()).body;
  assert.equal(self!.name, 'jupiter');
  const code = (statusName: string, message: string) => (error: unknown) => error instanceof EtcdError && error.statusName === statusName && error.message === message;
  await assert.rejects(local.memberRemove(self!.id + 1n), code('NotFound', 'etcdserver: member not found'));
  await assert.rejects(local.memberRemove(self!.id), code('FailedPrecondition', 'etcdserver: re-configuration failed due to not enough started members'));
  await assert.rejects(local.memberPromote(self!.id), code('FailedPrecondition', 'etcdserver: can only promote a learner member'));
  await assert.rejects(local.memberAdd(['http://127.0.0.1:2390'], false), (error: unknown) => error instanceof EtcdError && /without Raft/.test(error.message));
  const updated = await local.memberUpdate(self!.id, ['http://10.0.0.7:2380']);
  assert.deepEqual(updated.body[0]!.peerUrls, ['http://10.0.0.7:2380']);
  await assert.rejects(local.moveLeader(self!.id + 1n), code('FailedPrecondition', 'etcdserver: bad leader transferee'));
  await local.moveLeader(self!.id);
  local.close();
});

test('a snapshot stream restores into a state machine that holds the same data', async () => {
  const { local } = backend();
  await local.put({ key: key('boston'), value: key('10') });
  await local.put({ key: key('pune'), value: key('4') });
  const chunks: Uint8Array[] = [];
  let lastRemaining = -1;
  for await (const { body } of local.snapshot()) {
    chunks.push(body.blob);
    lastRemaining = body.remainingBytes;
  }
  assert.equal(lastRemaining, 0);
  const restored = new KvStateMachine();
  restored.restore(decodeSnapshotFile(Buffer.concat(chunks)));
  const hash = await local.hashKv(0);
  const restoredHash = restored.hashKv(0);
  assert.ok(restoredHash.ok);
  assert.equal(restoredHash.value.hash, hash.body.hash);
  local.close();
});
