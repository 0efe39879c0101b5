// `trellis server` refuses what it cannot run with a message that names the
// problem and what to do, and a non-zero exit: a bad flag, a bad URL, timeouts
// etcd would refuse, a port already taken, a data directory of another cluster
// or another version, a directory that is not Trellis's.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeAtomicFile } from '../../src/log/atomic-file.js';
import { NodeDisk } from '../../src/runtime/node/node-disk.js';
import { freePort, trellisMain } from './processes.js';

interface Ended {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs `trellis server` with the flags; a server that keeps running past the limit is stopped and reported as such. */
function server(args: readonly string[], limitMs = 15_000): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [trellisMain, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

async function flagsFor(dataDir: string, token = 'errors'): Promise<string[]> {
  const client = await freePort();
  const peer = await freePort();
  return [
    '--name', 'jupiter', '--data-dir', dataDir, '--listen-client-urls', `http://127.0.0.1:${client}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-cluster', `jupiter=http://127.0.0.1:${peer}`, '--initial-cluster-token', token,
  ];
}

test('bad flags and URLs are refused before anything starts, each naming the problem', async () => {
  const root = mkdtempSync(join(tmpdir(), 'trellis-server-errors-'));
  try {
    const cases: [string[], RegExp][] = [
      [['--no-such-flag'], /unknown option '--no-such-flag'/],
      [['--listen-client-urls', 'localhost:2379'], /--listen-client-urls: "localhost:2379" is not a URL|uses localhost/],
      [['--listen-client-urls', 'http://127.0.0.1'], /has no port/],
      [['--listen-client-urls', 'https://127.0.0.1:2379'], /plain http:\/\/ \(no TLS yet\)/],
      [['--heartbeat-interval', '100', '--election-timeout', '300'], /--election-timeout\[300ms\] should be at least as 5 times as --heartbeat-interval\[100ms\]/],
      [['--initial-cluster-state', 'later'], /--initial-cluster-state must be new or existing/],
      [['--name', 'saturn', '--initial-cluster', 'jupiter=http://127.0.0.1:2380'], /couldn't find local name "saturn" in the initial cluster/],
      [['--snapshot-count', 'many'], /--snapshot-count must be a whole number/],
    ];
    for (const [args, expected] of cases) {
      const ended = await server(['--data-dir', join(root, 'unused'), ...args]);
      assert.notEqual(ended.code, 0, `${args.join(' ')} must fail`);
      assert.match(ended.stderr, expected, `${args.join(' ')}: ${ended.stderr}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a client port already taken is named, and the member exits', async () => {
  const root = mkdtempSync(join(tmpdir(), 'trellis-server-errors-'));
  const blocker = createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
  try {
    const flags = await flagsFor(join(root, 'jupiter'));
    flags[flags.indexOf('--listen-client-urls') + 1] = `http://127.0.0.1:${port}`;
    const ended = await server(flags);
    assert.notEqual(ended.code, 0);
    assert.match(ended.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`), ended.stderr);
    assert.match(ended.stderr, /in use|EADDRINUSE|cannot listen/i, ended.stderr);
  } finally {
    blocker.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a data directory of another cluster or member, of another version, or not Trellis\'s is refused with what to do', async () => {
  const root = mkdtempSync(join(tmpdir(), 'trellis-server-errors-'));
  try {
    // A real member's directory, made by a first start that is then stopped.
    const dataDir = join(root, 'jupiter');
    const first = server([...(await flagsFor(dataDir, 'cluster-one'))], 4_000);
    const ended = await first;
    assert.equal(ended.code, null, 'the first start kept running until stopped');
    const otherCluster = await server(await flagsFor(dataDir, 'cluster-two'));
    assert.notEqual(otherCluster.code, 0);
    assert.match(otherCluster.stderr, /data directory .* belongs to cluster [0-9a-f]+ \(token "cluster-one"\), not to a cluster with --initial-cluster-token "cluster-two": use a fresh directory/, otherCluster.stderr);
    const otherFlags = await flagsFor(dataDir, 'cluster-one');
    otherFlags[otherFlags.indexOf('--name') + 1] = 'saturn';
    otherFlags[otherFlags.indexOf('--initial-cluster') + 1] = otherFlags[otherFlags.indexOf('--initial-cluster') + 1]!.replace('jupiter=', 'saturn=');
    const otherMember = await server(otherFlags);
    assert.notEqual(otherMember.code, 0);
    assert.match(otherMember.stderr, /data directory .* belongs to member jupiter, not saturn/, otherMember.stderr);

    const stranger = join(root, 'stranger');
    mkdirSync(join(stranger, 'member', 'snap'), { recursive: true });
    const notOurs = await server(await flagsFor(stranger));
    assert.notEqual(notOurs.code, 0);
    assert.match(notOurs.stderr, /holds files Trellis does not recognise \(member\/snap\)/, notOurs.stderr);

    const future = join(root, 'future');
    mkdirSync(join(future, 'member'), { recursive: true });
    await writeAtomicFile(new NodeDisk({ root: future }), 'member/identity', new TextEncoder().encode(JSON.stringify({ format: 'trellis-member/9' })));
    const otherVersion = await server(await flagsFor(future));
    assert.notEqual(otherVersion.code, 0);
    assert.match(otherVersion.stderr, /was written by another version of Trellis \(format "trellis-member\/9", this version reads trellis-member\/1\): use a fresh directory/, otherVersion.stderr);

    const damaged = join(root, 'damaged');
    mkdirSync(join(damaged, 'member'), { recursive: true });
    writeFileSync(join(damaged, 'member', 'identity'), 'garbage');
    const broken = await server(await flagsFor(damaged));
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /member\/identity is damaged .*: use a fresh directory, or restore one from a snapshot/, broken.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
