import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProcesses } from '../../src/bench/etcd/child-processes.js';
import { startCluster, stopCluster, type RunningCluster } from '../../src/bench/etcd/cluster.js';
import { ensureLoadgen, runLoadgen } from '../../src/bench/etcd/loadgen.js';
import { figuresOf, measurementFromOutcome } from '../../src/bench/etcd/measurement.js';
import { defaultClusterSettings, etcdBinary, etcdSystem } from '../../src/bench/etcd/systems.js';
import { loadgenRunArgs, workloadByName } from '../../src/bench/etcd/workloads.js';

// The one test that runs the real thing: the Go load generator against one
// etcd member for a second. It needs /usr/bin/etcd (etcd-server) and Go with
// etcd's Go packages (golang-go, golang-etcd-server-dev); the first run builds
// the generator into .build/loadgen/, later runs reuse it.
test('alice puts for a second against one etcd member: real figures are measured and every acknowledged put reads back', { timeout: 300_000 }, async () => {
  assert.ok(existsSync(etcdBinary), `${etcdBinary} is missing: apt-get install -y etcd-server`);
  const loadgen = ensureLoadgen(() => {});
  const dataRoot = mkdtempSync(join(tmpdir(), 'trellis-bench-smoke-'));
  const processes = new ChildProcesses();
  let cluster: RunningCluster | undefined;
  try {
    cluster = await startCluster({ system: etcdSystem(), settings: defaultClusterSettings, dataRoot, logDir: join(dataRoot, 'logs'), label: 'smoke', processes, memberCount: 1 });
    const base = { binary: loadgen, samplePids: cluster.pids, processes, goMaxProcs: 1 };
    await runLoadgen({ ...base, args: ['-mode', 'ready', '-endpoints', cluster.endpoints.join(','), '-ready-timeout-s', '30'], timeoutMs: 40_000 });
    const args = loadgenRunArgs(workloadByName('put64')!, { durationS: 1, warmupS: 0.2, keys: 1_000, valueBytes: 256 }, cluster.endpoints, ['-verify']);
    const outcome = await runLoadgen({ ...base, args, timeoutMs: 60_000 });

    const measurement = measurementFromOutcome('etcd', 1, 'put64', outcome);
    assert.ok(measurement.ops > 0, 'puts were acknowledged in the window');
    assert.equal(measurement.errors, 0);
    assert.equal(measurement.latency.count, measurement.ops, 'one latency per acknowledged put');
    assert.ok(measurement.windowS >= 1, `window of ${measurement.windowS} s`);
    assert.ok(measurement.serverCpuS > 0, 'the member\'s CPU was read from /proc');
    assert.ok(measurement.clientCpuS > 0, 'the generator\'s CPU was read from /proc');
    assert.ok(figuresOf([measurement])!.latencyMs!.p50 > 0);

    const verify = outcome.events.find((e) => e.event === 'result')!.verify as { keys: number; missing: number; firstMissing: string };
    assert.ok(verify.keys > 0, 'some keys were acknowledged');
    assert.equal(verify.missing, 0, `an acknowledged put is missing: ${verify.firstMissing}`);
  } finally {
    if (cluster !== undefined) await stopCluster(cluster, processes);
    processes.killAllNow();
    rmSync(dataRoot, { recursive: true, force: true });
  }
  assert.equal(processes.count, 0, 'no process outlives the test');
});
