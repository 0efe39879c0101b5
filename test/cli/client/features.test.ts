// What trellis does beyond a one-shot request: get --count-only, snapshot
// status on a saved snapshot, interactive watch with progress requests, and
// Ctrl-C on the commands that run until stopped.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startLocalEtcd, type LocalEtcd } from '../../api/local-etcd.js';
import { startTrellis, trellis } from './trellis-process.js';

let etcd: LocalEtcd;
let endpoint: string;
let workDir: string;

before(async () => {
  etcd = await startLocalEtcd();
  endpoint = `--endpoints=${etcd.address}`;
  workDir = mkdtempSync(join(tmpdir(), 'trellis-client-features-'));
  for (const [city, widgets] of [['boston', '10'], ['philadelphia', '7'], ['london', '3'], ['pune', '4']]) {
    assert.equal((await trellis(['put', city!, widgets!, endpoint])).status, 0);
  }
});

after(async () => {
  await etcd.close();
  rmSync(workDir, { recursive: true, force: true });
});

test('get --count-only counts the keys without sending them, and needs a format that can show a count', async () => {
  const json = await trellis(['get', 'p', '--prefix', '--count-only', '-w', 'json', endpoint]);
  assert.equal(json.status, 0, json.stderr);
  const answer = JSON.parse(json.stdout) as { count: number; kvs?: unknown[] };
  assert.equal(answer.count, 2, 'philadelphia and pune');
  assert.equal(answer.kvs, undefined);
  const fields = await trellis(['get', '', '--prefix', '--count-only', '-w', 'fields', endpoint]);
  assert.match(fields.stdout, /^"Count" : 4$/m);
  assert.doesNotMatch(fields.stdout, /"Key"/);
  const simple = await trellis(['get', '', '--prefix', '--count-only', endpoint]);
  assert.equal(simple.status, 128);
  assert.match(simple.stderr, /--count-only is only for `--write-out=fields` or `--write-out=json`/);
});

test('snapshot status reads a saved snapshot: its revision, its keys, its size, and the hash endpoint hashkv gave', async () => {
  const file = join(workDir, 'widgets.db');
  const saved = await trellis(['snapshot', 'save', file, endpoint]);
  assert.equal(saved.stdout, `Snapshot saved at ${file}\n`, saved.stderr);
  const hashKv = JSON.parse((await trellis(['endpoint', 'hashkv', '-w', 'json', endpoint])).stdout) as [{ HashKV: { hash: number; header: { revision: number } } }];
  const status = await trellis(['snapshot', 'status', file, '-w', 'json']);
  assert.equal(status.status, 0, status.stderr);
  assert.deepEqual(JSON.parse(status.stdout), {
    hash: hashKv[0].HashKV.hash,
    revision: hashKv[0].HashKV.header.revision,
    totalKey: 4,
    totalSize: readFileSync(file).length,
  });
  const table = await trellis(['snapshot', 'status', file, '-w', 'table']);
  assert.match(table.stdout, new RegExp(`\\| +${hashKv[0].HashKV.hash.toString(16)} \\| +5 \\| +4 \\| +\\d+ B \\|`));
});

test('a damaged snapshot file is refused by snapshot status with the reason', async () => {
  const file = join(workDir, 'damaged.db');
  const good = join(workDir, 'good.db');
  assert.equal((await trellis(['snapshot', 'save', good, endpoint])).status, 0);
  const bytes = readFileSync(good);
  bytes[40] ^= 0xff;
  writeFileSync(file, bytes);
  const run = await trellis(['snapshot', 'status', file]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /is not a readable Trellis snapshot: snapshot file SHA-256 mismatch/);
});

test('watch -i: alice adds watches as she types them, and asks for progress', async () => {
  const alice = startTrellis(['watch', '-i', endpoint], { keepStdinOpen: true });
  try {
    alice.child.stdin!.write('watch boston\n');
    alice.child.stdin!.write('watch p --prefix\n');
    alice.child.stdin!.write('fly to boston\n');
    // The watches exist once a progress request is answered for each.
    alice.child.stdin!.write('progress\n');
    await alice.output(/(progress notify: \d+\n[^]*){2}/);
    assert.equal((await trellis(['put', 'boston', '11', endpoint])).status, 0);
    assert.equal((await trellis(['put', 'pune', '5', endpoint])).status, 0);
    const seen = await alice.output(/PUT\npune\n5\n/);
    assert.match(seen, /PUT\nboston\n11\n/);
  } finally {
    alice.child.kill('SIGINT');
  }
  const finished = await alice.done;
  assert.equal(finished.signal, 'SIGINT', 'stopped by Ctrl-C, as etcdctl is');
  assert.match(finished.stderr, /Invalid command fly to boston \(only watch and progress supported\)/);
});

test('Ctrl-C stops a watch and a keep-alive the way it stops etcdctl: by the signal', async () => {
  const watch = startTrellis(['watch', 'london', endpoint]);
  const granted = (await trellis(['lease', 'grant', '60', endpoint])).stdout;
  const leaseId = /^lease ([0-9a-f]{16}) granted with TTL\(60s\)$/m.exec(granted)?.[1];
  assert.ok(leaseId !== undefined, granted);
  const keepAlive = startTrellis(['lease', 'keep-alive', leaseId, endpoint]);
  await keepAlive.output(/keepalived with TTL\(60\)/);
  assert.equal((await trellis(['put', 'london', '4', endpoint])).status, 0);
  await watch.output(/PUT\nlondon\n4\n/);
  watch.child.kill('SIGINT');
  keepAlive.child.kill('SIGINT');
  const [watched, kept] = await Promise.all([watch.done, keepAlive.done]);
  assert.equal(watched.signal, 'SIGINT');
  assert.equal(kept.signal, 'SIGINT');
  assert.equal(kept.stderr, '');
});
