import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const trellis = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('trellis sim runs seeds and prints a summary of what it injected and found', () => {
  const run = spawnSync(process.execPath, [trellis, 'sim', '--seeds', '7..8', '--nodes', '3', '--simulated-ms', '10000'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /seeds\s+2 \(7\.\.8\), 3 nodes/);
  const simulatedSeconds = Number(/simulated time\s+(\d+) s in/.exec(run.stdout)?.[1]);
  assert.ok(simulatedSeconds >= 20, `two seeds of 10 simulated seconds each, plus settling (${simulatedSeconds} s)`);
  assert.match(run.stdout, /elections\s+[1-9]/);
  assert.match(run.stdout, /violations\s+none/);
  assert.match(run.stderr, /sim 2\/2/);
});

test('trellis sim reports a failing seed with its replay command and trace, and exits non-zero', () => {
  const traceDir = mkdtempSync(join(tmpdir(), 'trellis-sim-'));
  try {
    const run = spawnSync(process.execPath, [trellis, 'sim', '--seed', '1', '--nodes', '3', '--simulated-ms', '20000', '--stale-reads', '--trace-dir', traceDir], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /seed 1 FAILED:\n\s+linearizability: history is not linearizable/);
    assert.match(run.stdout, /replay: trellis sim --seed 1 --nodes 3 --simulated-ms 20000 .*--stale-reads/);
    const tracePath = join(traceDir, 'seed-1.trace');
    assert.ok(existsSync(tracePath));
    assert.ok(readFileSync(tracePath, 'utf8').split('\n').length > 100);
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
});

test('trellis sim names a bad flag value', () => {
  const run = spawnSync(process.execPath, [trellis, 'sim', '--nodes', '4'], { encoding: 'utf8' });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /the swarm runs 3 or 5 nodes, not "4"/);
  const faults = spawnSync(process.execPath, [trellis, 'sim', '--faults', 'crash,meteor'], { encoding: 'utf8' });
  assert.match(faults.stderr, /unknown fault kind\(s\) meteor/);
});
