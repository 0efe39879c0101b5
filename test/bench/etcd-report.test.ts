import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figuresOf, ratio, spread } from '../../src/bench/etcd/measurement.js';
import { renderMarkdown } from '../../src/bench/etcd/report-markdown.js';
import { loadgenShare, summarize } from '../../src/bench/etcd/report.js';
import { measured, sampleReport, spreadLatencies } from './etcd-fixtures.js';

test('a system\'s figures over two rounds: throughput and CPU per operation from the totals, each round kept', () => {
  const report = sampleReport();
  const etcd = figuresOf(report.measurements.filter((m) => m.system === 'etcd' && m.workload === 'put64'))!;
  assert.equal(etcd.rounds, 2);
  assert.equal(etcd.opsPerS, 3_200);
  assert.deepEqual(etcd.opsPerSByRound, [3_000, 3_400]);
  assert.ok(Math.abs(etcd.serverCpuSPer1kOps! - 0.4) < 1e-9);
  assert.ok(Math.abs(etcd.clientCpuSPer1kOps! - 0.05) < 1e-9);
  assert.ok(Math.abs(etcd.serverCores - 1.28) < 1e-9, 'CPU-seconds per second of window');
  assert.ok(etcd.latencyMs!.p50 >= 19.9 && etcd.latencyMs!.p50 <= 20.3, `p50 ${etcd.latencyMs!.p50}`);
});

test('a failed round is left out of the figures and a workload that never ran has none', () => {
  const report = sampleReport();
  const watch = figuresOf(report.measurements.filter((m) => m.system === 'trellis' && m.workload === 'watch'))!;
  assert.equal(watch.rounds, 1);
  assert.equal(watch.opsPerS, 20_000);
  assert.equal(watch.writesPerS, 200);
  assert.equal(figuresOf(report.measurements.filter((m) => m.failure !== undefined)), undefined);
});

test('ratios are B / A: trellis against etcd on put64, with each system\'s round-to-round spread', () => {
  const [put64] = summarize(sampleReport());
  assert.equal(put64!.workload.name, 'put64');
  assert.equal(put64!.ratios!.opsPerS, 4_200 / 3_200);
  assert.ok(Math.abs(put64!.ratios!.serverCpuPerOp! - 0.5) < 1e-9);
  assert.ok(put64!.ratios!.p50! > 0.48 && put64!.ratios!.p50! < 0.52, `p50 ratio ${put64!.ratios!.p50}`);
  assert.equal(put64!.figures[0]!.spread, 400 / 3_200);
  assert.equal(spread([5]), undefined);
  assert.equal(ratio(3, 0), undefined);
  assert.equal(ratio(undefined, 2), undefined);
});

test('the markdown table has a row per system and workload, the ratio table, the generator\'s share and every failure', () => {
  const markdown = renderMarkdown(sampleReport());
  assert.match(markdown, /^# trellis bench etcd: etcd vs trellis$/m);
  assert.match(markdown, /2 round\(s\) in alternation \(etcd trellis, etcd trellis\)/);
  assert.match(markdown, /heartbeat 100 ms, election timeout 1000 ms, snapshot count 100000, quota 2 GiB, max request 1\.5 MiB/);
  assert.match(markdown, /^\| put64 \| etcd \| 3,200 \| 3,000 \/ 3,400 \| 20\.\d+ \| [\d.]+ \| [\d.]+ \| 0\.400 \| 0\.050 \| 0\.16 \| 0 \|$/m);
  assert.match(markdown, /^\| put64 \| trellis \| 4,200 \| 4,000 \/ 4,400 \| 10\.\d+ \| [\d.]+ \| [\d.]+ \| 0\.200 \|/m);
  assert.match(markdown, /^\| watch \(200 writes\/s\) \| trellis \| 20,000 \| 20,000 \|/m);
  assert.match(markdown, /^## trellis \/ etcd$/m);
  assert.match(markdown, /^\| put64 \| 1\.31x \| 0\.\d\dx \| 0\.\d\dx \| 0\.\d\dx \| 0\.50x \| 13% \| 10% \|$/m);
  assert.match(markdown, /^\| watch \| 1\.00x \|/m);
  assert.match(markdown, /- trellis, round 2, watch: member\(s\) died during watch: saturn exited \(code 1\)/);
  const share = loadgenShare(sampleReport());
  assert.ok(share.clientCpuS > 0 && share.clientCpuS < share.serverCpuS);
  assert.match(markdown, new RegExp(`it used ${share.clientCpuS.toFixed(1)} CPU-s against the servers' ${share.serverCpuS.toFixed(1)} CPU-s`));
});

test('when trellis cannot start, the report says why and shows etcd alone, without ratios', () => {
  const report = sampleReport([{ name: 'etcd' }, { name: 'trellis', unavailable: 'trellis cannot start a replicated server yet' }]);
  const markdown = renderMarkdown({ ...report, measurements: report.measurements.filter((m) => m.system === 'etcd') });
  assert.match(markdown, /^# trellis bench etcd: etcd$/m);
  assert.match(markdown, /\*\*trellis was not run:\*\* trellis cannot start a replicated server yet/);
  assert.doesNotMatch(markdown, /## trellis \/ etcd/);
  assert.doesNotMatch(markdown, /\| trellis \|/);
});

test('reads that found nothing are reported, since they mean the preload went wrong', () => {
  const report = sampleReport();
  const empty = { ...measured('etcd', 1, 'put64', { ops: 10, windowS: 1, serverCpuS: 1, clientCpuS: 0.1, latenciesUs: spreadLatencies(10, 100, 200) }), emptyReads: 7 };
  assert.match(renderMarkdown({ ...report, measurements: [...report.measurements, empty] }), /etcd, round 1, put64: 0 failed request\(s\), first: –; 7 read\(s\) found no value/);
});

test('a generator near its core cap is called out, since it may have been the bottleneck', () => {
  const report = sampleReport();
  assert.doesNotMatch(renderMarkdown(report), /Warning/);
  const busy = measured('etcd', 1, 'put64', { ops: 100_000, windowS: 10, serverCpuS: 15, clientCpuS: 9, latenciesUs: spreadLatencies(10, 100, 200) });
  assert.match(renderMarkdown({ ...report, measurements: [...report.measurements, busy] }), /\*\*Warning:\*\* in some window the load generator used 0\.90 cores of the 1 it may use.*--loadgen-procs 2/);
});
