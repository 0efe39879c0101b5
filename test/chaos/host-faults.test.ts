// The host-level fault injectors on real processes: libfaketime moves a Node
// member's wall clock at run time (and not its monotonic clock), libfiu
// fails a Node member's fdatasync on command, a filler fills a filesystem.
// And the reason these faults are "not applicable" to etcd, checked rather
// than assumed: a Go program ignores both preload libraries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemberProcess } from '../../src/chaos/member-process.js';
import { fiuControl, fillFilesystem, removeFile, setClockOffset } from '../../src/chaos/host-faults.js';
import { freePort } from '../../src/chaos/network.js';
import { makeClient, deadline } from '../../src/chaos/clients.js';
import { etcdSystem } from '../../src/chaos/system-spec.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const now = (): number => performance.now();

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.startsWith('{'));
}

test('a Node member\'s wall clock jumps an hour when its faketime file says so, its monotonic clock does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-clock-'));
  const clockFile = join(dir, 'clock');
  setClockOffset(clockFile, 0);
  const script = 'setInterval(() => console.log(JSON.stringify({ wall: Date.now(), mono: performance.now() })), 100)';
  const member = new MemberProcess('jupiter', process.execPath, ['-e', script], join(dir, 'log'), { faketimeFile: clockFile }, now);
  member.start();
  await sleep(700);
  setClockOffset(clockFile, 3_600);
  await sleep(1_800);
  await member.close();
  const samples = lines(join(dir, 'log')).map((line) => JSON.parse(line) as { wall: number; mono: number });
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const wallGainMs = last.wall - first.wall;
  const monoGainMs = last.mono - first.mono;
  assert.ok(wallGainMs > 3_590_000 && wallGainMs < 3_610_000, `wall clock moved ${wallGainMs} ms`);
  assert.ok(monoGainMs > 1_000 && monoGainMs < 5_000, `monotonic clock moved ${monoGainMs} ms`);
  rmSync(dir, { recursive: true, force: true });
});

test('a Node member\'s fdatasync fails while libfiu\'s failure point is on, and works again after', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-fiu-'));
  const script = `const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(join(dir, 'wal'))}, 'w');
setInterval(() => { try { fs.writeSync(fd, 'x'); fs.fdatasyncSync(fd); console.log(JSON.stringify({ ok: true })); } catch (e) { console.log(JSON.stringify({ ok: false, code: e.code })); } }, 50)`;
  const member = new MemberProcess('saturn', process.execPath, ['-e', script], join(dir, 'log'), { fiuControlPrefix: join(dir, 'fiu') }, now);
  member.start();
  await sleep(500);
  await fiuControl(join(dir, 'fiu'), member.pid!, true);
  await sleep(400);
  await fiuControl(join(dir, 'fiu'), member.pid!, false);
  await sleep(400);
  await member.close();
  const outcomes = lines(join(dir, 'log')).map((line) => (JSON.parse(line) as { ok: boolean }).ok);
  const firstFailure = outcomes.indexOf(false);
  const lastFailure = outcomes.lastIndexOf(false);
  assert.ok(firstFailure > 0, 'fdatasync worked before the failure point was enabled, then failed');
  assert.ok(lastFailure < outcomes.length - 1 && outcomes.at(-1) === true, 'fdatasync works again once disabled');
  rmSync(dir, { recursive: true, force: true });
});

test('the filler leaves a small filesystem with no free space, and removing it frees it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-disk-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(mount.status, 0, `mounting a tmpfs needs root: ${mount.stderr}`);
  try {
    const written = fillFilesystem(join(dir, 'filler'), 64 * 1024 * 1024);
    assert.ok(written > 3 * 1024 * 1024 && written <= 4 * 1024 * 1024, `wrote ${written} bytes`);
    assert.equal(statfsSync(dir).bavail, 0);
    removeFile(join(dir, 'filler'));
    assert.ok(statfsSync(dir).bavail > 0);
  } finally {
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A single-member etcd in `dir`, wrapped as asked; resolves with its client URL once it serves. */
async function startEtcd(dir: string, wrappers: { faketimeFile?: string; fiuControlPrefix?: string }): Promise<{ member: MemberProcess; url: string }> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const command = etcdSystem.command({
    name: 'neptune', dataDir: join(dir, 'data', 'neptune'), clientUrl: url, peerListenUrl: `http://127.0.0.1:${peerPort}`, peerAdvertiseUrl: `http://127.0.0.1:${peerPort}`,
    initialCluster: [{ name: 'neptune', peerUrl: `http://127.0.0.1:${peerPort}` }], clusterState: 'new', clusterToken: 'host-faults', heartbeatMs: 100, electionMs: 1_000,
    snapshotCount: 1_000, quotaBackendBytes: 1 << 30, maxRequestBytes: 1 << 20,
  }, { unsafeStaleReads: false });
  const member = new MemberProcess('neptune', command.binary, command.args, join(dir, 'log'), wrappers, now);
  member.start();
  const client = makeClient([url]);
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await client.maintenance.status(deadline(500));
        return { member, url };
      } catch {
        await sleep(200);
      }
    }
  } finally {
    client.close();
  }
  await member.close();
  throw new Error(`etcd did not start: see ${join(dir, 'log')}`);
}

test('etcd ignores libfaketime: its log timestamps stay on the real clock ten days away from the fake one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-etcd-clock-'));
  const clockFile = join(dir, 'clock');
  setClockOffset(clockFile, 10 * 86_400);
  const { member } = await startEtcd(dir, { faketimeFile: clockFile });
  await member.close();
  const stamps = lines(join(dir, 'log')).map((line) => Date.parse((JSON.parse(line) as { ts: string }).ts)).filter(Number.isFinite);
  assert.ok(stamps.length > 0, 'etcd logged in JSON with timestamps');
  // The test's own process is not under libfaketime: the real clock is its Date.
  for (const stamp of stamps) assert.ok(Math.abs(stamp - new Date().getTime()) < 86_400_000, `etcd logged ${new Date(stamp).toISOString()}`);
  rmSync(dir, { recursive: true, force: true });
});

test('etcd ignores libfiu: with every fsync failure point on, it still acknowledges a put', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-etcd-fiu-'));
  const { member, url } = await startEtcd(dir, { fiuControlPrefix: join(dir, 'fiu') });
  await fiuControl(join(dir, 'fiu'), member.pid!, true);
  const client = makeClient([url]);
  try {
    const response = await client.kv.put({ key: Buffer.from('widgets/london'), value: Buffer.from('3') }, deadline(3_000));
    assert.ok(Number(response.header.revision) > 1);
    assert.equal(member.running, true);
  } finally {
    client.close();
    await member.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
