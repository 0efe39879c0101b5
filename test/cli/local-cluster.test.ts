// `npm start` is `trellis local-cluster`: three member processes on
// 127.0.0.1 with data under ./data, a line of etcdctl to paste, Ctrl-C to
// stop, and a second start that resumes from the data. This test does what
// the README tells a newcomer to do, with etcdctl 3.4 as the client.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memberNodeFlags } from '../../src/runtime/node/member-node-flags.js';

const trellis = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly endpoints: string;
}

/** Starts `trellis local-cluster` in `cwd` and waits for its "members running" banner (or its exit). */
async function startLocalCluster(cwd: string, basePort: number): Promise<Started> {
  const child = spawn(process.execPath, [trellis, 'local-cluster', '--base-port', String(basePort)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const deadline = Date.now() + 45_000;
  while (!/--endpoints=(\S+) put boston 10/.test(text)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      assert.fail(`local-cluster did not come up:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const endpoints = /--endpoints=(\S+) put boston 10/.exec(text)![1]!;
  return { child, output: () => text, endpoints };
}

/** The command lines of the member processes running in `cwd`, by member name (from /proc). */
function memberCommandLines(cwd: string): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) !== cwd) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
      if (args.includes('server')) members.set(args[args.indexOf('--name') + 1]!, args);
    } catch {
      // The process ended while being looked at, or is not ours to read.
    }
  }
  return members;
}

function etcdctl(endpoints: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('etcdctl', [`--endpoints=${endpoints}`, '--command-timeout=10s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });
}

/** Ctrl-C, as the banner says; resolves to the exit code. */
function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code));
    started.child.kill('SIGINT');
  });
}

test('npm start runs three members with data under ./data; etcdctl writes to them; Ctrl-C stops them; a second start resumes from the data', { timeout: 180_000 }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'local-cluster-'));
  // Members' ports follow etcd's Procfile from the base (localMembers): all stay below the kernel's ephemeral range.
  const basePort = 2400 + Math.floor(Math.random() * 300);
  const started: Started[] = [];
  try {
    const first = await startLocalCluster(cwd, basePort);
    started.push(first);
    assert.match(first.output(), /3 members running, data under \.\/data/);
    assert.equal(first.endpoints.split(',').length, 3);
    for (const member of ['n1', 'n2', 'n3']) assert.ok(statSync(join(cwd, 'data', member)).isDirectory(), `data/${member} exists`);

    const put = etcdctl(first.endpoints, 'put', 'boston', '10');
    assert.equal(put.status, 0, put.stderr);
    assert.equal(put.stdout.trim(), 'OK');
    const status = etcdctl(first.endpoints, 'endpoint', 'status');
    assert.equal(status.status, 0, status.stderr);
    assert.equal(status.stdout.trim().split('\n').filter((line) => line.includes(', true, false,')).length, 1, `one leader among three:\n${status.stdout}`);
    // Each member's node was started with Trellis's young generation (member-node-flags.ts).
    const members = memberCommandLines(cwd);
    assert.deepEqual([...members.keys()].sort(), ['n1', 'n2', 'n3']);
    for (const [name, args] of members) assert.deepEqual(args.slice(1, args.indexOf(trellis)), memberNodeFlags(), `${name}: ${args.join(' ')}`);
    assert.equal(await stop(first), 0, `a clean stop:\n${first.output()}`);

    const second = await startLocalCluster(cwd, basePort);
    started.push(second);
    const get = etcdctl(second.endpoints, 'get', 'boston', '--consistency=l');
    assert.equal(get.status, 0, get.stderr);
    assert.equal(get.stdout, 'boston\n10\n', 'the write made before the stop is still there');
    assert.equal(await stop(second), 0);
  } finally {
    // A failed check must not leave members running: Ctrl-C whatever still runs, as the banner says.
    for (const cluster of started) if (cluster.child.exitCode === null && cluster.child.signalCode === null) await stop(cluster);
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('npm start names the port that is taken and exits, starting nothing', { timeout: 30_000 }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'local-cluster-'));
  const { createServer } = await import('node:net');
  const blocker = createServer();
  const basePort = 2400 + Math.floor(Math.random() * 300);
  await new Promise<void>((resolve) => blocker.listen(basePort + 20_001, '127.0.0.1', resolve));
  try {
    const run = spawnSync(process.execPath, [trellis, 'local-cluster', '--base-port', String(basePort)], { cwd, encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, new RegExp(`port ${basePort + 20_001} \\(peer port of n2\\) is taken by another process`));
    assert.throws(() => statSync(join(cwd, 'data')), 'no data directory was made');
  } finally {
    blocker.close();
    rmSync(cwd, { recursive: true, force: true });
  }
});
