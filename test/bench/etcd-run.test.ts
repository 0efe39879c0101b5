import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEtcdBenchOptions } from '../../src/bench/etcd/options.js';
import { BenchProgress } from '../../src/bench/etcd/progress.js';
import { runEtcdBench } from '../../src/bench/etcd/run.js';
import { etcdSystem, type BenchSystem } from '../../src/bench/etcd/systems.js';

function quickOptions(systems: string, known: readonly string[], root: string) {
  return parseEtcdBenchOptions({
    systems, workloads: 'put1', rounds: '1', durationS: '1', warmupS: '0', keys: '100', valueBytes: '256',
    outDir: join(root, 'results'), tmpDir: join(root, 'data'), keepData: false, loadgenProcs: '1',
  }, known);
}

function collector(): { progress: BenchProgress; text: () => string } {
  const chunks: string[] = [];
  return { progress: new BenchProgress({ write: (text: string) => chunks.push(text), isTTY: false }), text: () => chunks.join('') };
}

// A stand-in for a Trellis build whose server refuses its flags: every member exits at once.
const refusingTrellis: BenchSystem = {
  name: 'trellis',
  command: () => ({ binary: '/bin/sh', args: ['-c', 'echo "trellis server: unknown option --initial-cluster-token" >&2; exit 3'] }),
  unavailableReason: () => undefined,
};

test('when trellis dies on start, etcd is still measured, the failure is reported with trellis\'s own words, and nothing is left behind', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'trellis-bench-run-'));
  try {
    const registry = new Map([['etcd', etcdSystem()], ['trellis', refusingTrellis]]);
    const { progress, text } = collector();
    const { report, resultDir } = await runEtcdBench(quickOptions('etcd,trellis', [...registry.keys()], root), registry, progress);

    const etcd = report.measurements.find((m) => m.system === 'etcd')!;
    assert.equal(etcd.failure, undefined);
    assert.ok(etcd.ops > 0, 'etcd acknowledged puts');
    const trellis = report.measurements.find((m) => m.system === 'trellis')!;
    assert.match(trellis.failure ?? '', /exited before the cluster was ready/);
    assert.match(trellis.failure ?? '', /exited \(code 3; log .*trellis-r1-\w+\.log\)/);
    assert.match(text(), /trellis server: unknown option --initial-cluster-token/, 'the member log\'s end is shown on the terminal');

    const saved = JSON.parse(readFileSync(join(resultDir, 'results.json'), 'utf8')) as { measurements: unknown[] };
    assert.equal(saved.measurements.length, 2);
    assert.match(readFileSync(join(resultDir, 'report.md'), 'utf8'), /- trellis, round 1, put1: .*exited before the cluster was ready/);
    assert.match(readFileSync(join(resultDir, 'chart.svg'), 'utf8'), /data-metric="throughput" data-system="etcd"/);
    assert.deepEqual(readdirSync(join(root, 'data')), [], 'the members\' data directories are removed');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('when no system can be started the run stops before starting anything, saying why for each', async () => {
  const root = mkdtempSync(join(tmpdir(), 'trellis-bench-run-'));
  try {
    const missing: BenchSystem = { ...refusingTrellis, unavailableReason: () => 'trellis cannot start a replicated server yet' };
    const registry = new Map([['trellis', missing]]);
    const { progress, text } = collector();
    await assert.rejects(runEtcdBench(quickOptions('trellis', ['trellis'], root), registry, progress), /none of the systems can be started \(trellis: trellis cannot start a replicated server yet\)/);
    assert.match(text(), /trellis is not startable: trellis cannot start a replicated server yet/);
    assert.equal(existsSync(join(root, 'results')), false, 'no results folder for a run that did not happen');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a launcher spec naming a binary that does not exist fails its runs with that said, and the run still writes its report', async () => {
  const root = mkdtempSync(join(tmpdir(), 'trellis-bench-run-'));
  try {
    const absent: BenchSystem = { name: 'trellis', command: () => ({ binary: join(root, 'no-such-server'), args: [] }), unavailableReason: () => undefined };
    const registry = new Map([['trellis', absent]]);
    const { progress } = collector();
    const { report, resultDir } = await runEtcdBench(quickOptions('trellis', ['trellis'], root), registry, progress);
    assert.equal(report.measurements.length, 1);
    assert.match(report.measurements[0]!.failure ?? '', /trellis: could not start .*no-such-server for jupiter/);
    assert.match(readFileSync(join(resultDir, 'report.md'), 'utf8'), /- trellis, round 1, put1: trellis: could not start/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
