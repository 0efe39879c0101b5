// `trellis sim` runs the kv swarm by default, and the Raft swarm's registers on request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const trellis = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('trellis sim runs the key-value store by default and sums up what its checks covered', () => {
  const run = spawnSync(process.execPath, [trellis, 'sim', '--seeds', '3..4', '--nodes', '3', '--simulated-ms', '10000'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /seeds\s+2 \(3\.\.4\), 3 nodes, key-value store/);
  assert.match(run.stdout, /checked\s+[1-9]\d* operations for linearizability, \d+ serializable reads, [1-9]\d* revisions/);
  assert.match(run.stdout, /watches\s+[1-9]\d* events received/);
  assert.match(run.stdout, /leases\s+[1-9]\d* granted/);
  assert.match(run.stdout, /violations\s+none/);
  assert.match(run.stderr, /sim 2\/2/);
});

test('trellis sim --store registers runs the Raft swarm, and a failing kv seed names its store in the replay command', () => {
  const registers = spawnSync(process.execPath, [trellis, 'sim', '--store', 'registers', '--seed', '5', '--nodes', '3', '--simulated-ms', '5000'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(registers.status, 0, registers.stdout + registers.stderr);
  assert.match(registers.stdout, /seeds\s+1 \(5\.\.5\), 3 nodes, registers/);
  assert.doesNotMatch(registers.stdout, /watches/);
  const traceDir = mkdtempSync(join(tmpdir(), 'trellis-sim-kv-'));
  try {
    const args = ['sim', '--seed', '1', '--nodes', '3', '--simulated-ms', '20000', '--faults', 'slow-link,partition', '--fault-interval-ms', '2000', '--stale-reads', '--trace-dir', traceDir];
    const stale = spawnSync(process.execPath, [trellis, ...args], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(stale.status, 1, stale.stdout + stale.stderr);
    assert.match(stale.stdout, /seed 1 FAILED:\n\s+linearizability: history is not linearizable under model mvcc/);
    assert.match(stale.stdout, /replay: trellis sim --seed 1 --nodes 3 --simulated-ms 20000 --faults slow-link,partition .*--stale-reads --store kv/);
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
});

test('trellis sim names an unknown store', () => {
  const run = spawnSync(process.execPath, [trellis, 'sim', '--store', 'paxos'], { encoding: 'utf8' });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /unknown store "paxos"; known: registers, kv/);
});
