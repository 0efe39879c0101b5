// Wall clocks that jump minutes ahead, against the Idempotent Receiver. Client
// sessions are forgotten after an idle time measured by the log's clock; if a
// member stamped entries with its own wall clock, one jump would age every
// session at once and a resent write would apply twice. Sessions here are
// forgotten after 20 idle seconds and clocks jump up to five minutes, so the
// swarm meets that case often (seed 49 did, before the log's clock ran on the
// members' monotonic clocks: carol's put applied twice).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCoreSeed } from '../../src/sim/swarm/core-run-seed.js';
import { runSwarm } from '../../src/sim/swarm/index.js';
import type { SeedOptions } from '../../src/sim/swarm/run-seed.js';
import { assertNoFailures } from './swarm-assertions.js';

const jumpy: Omit<SeedOptions, 'seed'> = {
  nodes: 3,
  simulatedMs: 30_000,
  faults: ['clock-jump', 'crash', 'partition', 'loss', 'isolate'],
  maxClockJumpMs: 300_000,
  sessionIdleMs: 20_000,
  meanFaultIntervalMs: 700,
  store: 'kv',
};

test('kv seed 49: carol\'s put, resent after a member\'s wall clock jumped minutes ahead, is applied once', async () => {
  const result = await runCoreSeed({ ...jumpy, seed: 49 });
  assert.ok((result.faultsByKind['clock-jump'] ?? 0) > 0);
  assert.deepEqual(result.violations, [], `replay with: ${result.replayCommand}`);
  // The replay command a failure prints carries the clock and session settings, and runs the same seed.
  assert.match(result.replayCommand, /--max-clock-jump-ms 300000 --session-idle-ms 20000/);
  const trellis = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const replay = spawnSync(process.execPath, [trellis, ...result.replayCommand.split(' ').slice(1)], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(replay.status, 0, replay.stdout + replay.stderr);
  assert.match(replay.stdout, /seeds\s+1 \(49\.\.49\), 3 nodes, key-value store/);
  assert.match(replay.stdout, /violations\s+none/);
});

test('40 seeds of the consistent core with wall clocks jumping up to five minutes and sessions forgotten after 20 idle seconds: no write applies twice', async () => {
  const summary = await runSwarm({ ...jumpy, seeds: 40, firstSeed: 700_000 });
  assertNoFailures(summary);
  assert.equal(summary.seeds, 40);
  assert.ok((summary.faultsByKind['clock-jump'] ?? 0) > 200, `clock jumps injected: ${summary.faultsByKind['clock-jump'] ?? 0}`);
  assert.ok(summary.acknowledgedWrites > 40 * 50, `writes acknowledged: ${summary.acknowledgedWrites}`);
});
