// What a cluster of real processes keeps: every acknowledged write survives
// all members being killed at once (kill -9, no clean shutdown) and started
// again; and a snapshot saved from one member, restored into a brand-new
// cluster, holds exactly the same data (equal hashkv on every member).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentials } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { etcdServices } from '../../src/api/etcd/proto.js';
import { ConfigError } from '../../src/api/etcd/member-config.js';
import { memberConfigFromFlags } from '../../src/cli/server-command.js';
import { restoreSnapshot } from '../../src/runtime/node/snapshot-restore.js';
import { etcdctl } from '../api/etcdctl-scenario.js';
import { spawnSync } from 'node:child_process';
import { TestCluster, trellisMain } from './processes.js';

/** Each member's HashKV at `revision`, asked of that member alone. */
async function hashes(cluster: TestCluster, revision: number): Promise<string[]> {
  const out: string[] = [];
  for (const member of cluster.members) {
    const client = new (etcdServices().Maintenance)(`127.0.0.1:${member.clientPort}`, credentials.createInsecure());
    try {
      const answer = await new Promise<{ hash: number; header: { revision: string } }>((resolve, reject) => {
        client['HashKV']!({ revision: String(revision) }, { deadline: Date.now() + 10_000 }, (error: Error | null, response: { hash: number; header: { revision: string } }) =>
          (error === null ? resolve(response) : reject(error)));
      });
      out.push(`${answer.hash}@${answer.header.revision}`);
    } finally {
      client.close();
    }
  }
  return out;
}

test('widget counts acknowledged before jupiter, saturn and neptune are all killed are there after they restart', async () => {
  const cluster = await TestCluster.start();
  const alice = new Etcd3({ hosts: cluster.endpoints.split(',') });
  try {
    const acknowledged = new Map<string, string>();
    const cities = ['boston', 'philadelphia', 'london', 'pune'];
    await Promise.all(cities.map(async (city) => {
      for (let i = 0; i < 50; i++) {
        await alice.put(`widgets/${city}/${i}`).value(`${i * 7}`);
        acknowledged.set(`widgets/${city}/${i}`, `${i * 7}`);
      }
    }));
    await Promise.all(cluster.members.map((m) => cluster.stopMember(m.name, 'SIGKILL')));
    await cluster.launchAll();
    const stored = await alice.getAll().prefix('widgets/').strings();
    assert.equal(Object.keys(stored).length, acknowledged.size, 'every acknowledged key is back');
    for (const [key, value] of acknowledged) assert.equal(stored[key], value, `${key} kept its value`);
  } finally {
    alice.close();
    await cluster.stop();
  }
});

test('a snapshot saved from one member and restored into a new cluster holds the same data on every member', async () => {
  const source = await TestCluster.start();
  const target = await TestCluster.create();
  const bob = new Etcd3({ hosts: source.endpoints.split(',') });
  try {
    for (let i = 0; i < 40; i++) await bob.put(`cities/${i % 4}`).value(`v${i}`);
    const lease = await bob.lease(600, { autoKeepAlive: false }).grant();
    await bob.put('session/bob').value('here').lease(lease).exec();
    await bob.delete().key('cities/3').exec();
    const revision = Number((await bob.get('cities/0').exec()).header.revision);
    const file = `${target.root}/snapshot.db`;
    const saved = await etcdctl(source.endpoint('n1'), ['snapshot', 'save', file]).done;
    assert.equal(saved.exit, '0', saved.stderr);
    const [sourceHash] = await hashes(source, revision);

    for (const member of target.members) {
      const restored = spawnSync(process.execPath, [trellisMain, 'snapshot', 'restore', file, ...target.memberFlags(member.name)], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(restored.status, 0, restored.stderr);
      assert.match(restored.stdout, new RegExp(`restored snapshot .* \\(revision ${revision}, \\d+ keys\\) into ${member.dataDir}`), `${member.name}'s data directory starts at the saved revision`);
    }
    await target.launchAll();
    const restored = await hashes(target, revision);
    assert.deepEqual(restored, target.members.map(() => sourceHash), 'every restored member hashes like the source');
    const carol = new Etcd3({ hosts: target.endpoints.split(',') });
    try {
      assert.equal(await carol.get('session/bob').string(), 'here');
      assert.equal(await carol.get('cities/3').string(), null);
      await carol.put('cities/9').value('new');
      assert.equal(Number((await carol.get('cities/9').exec()).kvs[0]!.mod_revision), revision + 1, 'the new cluster carries on from the saved revision');
    } finally {
      carol.close();
    }
  } finally {
    bob.close();
    await source.stop();
    await target.stop();
  }
});

test('restoring into a directory that is not empty, or from a file that is not a snapshot, is refused with a reason', async () => {
  const target = await TestCluster.create({ members: 1 });
  try {
    const config = memberConfigFromFlags(flagsOf(target.memberFlags('n1')));
    await assert.rejects(restoreSnapshot(`${target.root}/missing.db`, config), (error: unknown) => error instanceof ConfigError && /cannot read snapshot file/.test(error.message));
    const { writeFileSync, mkdirSync } = await import('node:fs');
    writeFileSync(`${target.root}/garbage.db`, 'not a snapshot');
    await assert.rejects(restoreSnapshot(`${target.root}/garbage.db`, config), /whole 512-byte pages/);
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(`${config.dataDir}/something`, 'x');
    await assert.rejects(restoreSnapshot(`${target.root}/garbage.db`, config), /exists: restore into a new directory|whole 512-byte pages/);
  } finally {
    await target.stop();
  }
});

/** ["--name", "n1", ...] as the flags object commander would give the server command. */
function flagsOf(args: readonly string[]): Parameters<typeof memberConfigFromFlags>[0] {
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i < 0 ? undefined : args[i + 1];
  };
  const peer = value('--initial-advertise-peer-urls')!;
  return {
    name: value('--name')!, dataDir: value('--data-dir')!, listenClientUrls: 'http://127.0.0.1:2379', listenPeerUrls: peer,
    initialAdvertisePeerUrls: peer, initialCluster: value('--initial-cluster')!, initialClusterState: 'new',
    initialClusterToken: value('--initial-cluster-token')!, heartbeatInterval: '100', electionTimeout: '1000', snapshotCount: '100000',
    quotaBackendBytes: String(2 ** 31), maxRequestBytes: String(1.5 * 1024 * 1024), maxTxnOps: '128', logLevel: 'warn',
  };
}
