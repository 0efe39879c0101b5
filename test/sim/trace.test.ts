// The trace keeps the recent past in memory, hands every line to a sink
// (a file, for a long run), and hashes every line so two runs longer than
// the memory still compare exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trace } from '../../src/sim/trace.js';
import { traceLogger } from '../../src/sim/sim-logger.js';
import { silentLogger } from '../../src/runtime/logger.js';

test('the trace keeps the last maxLines lines, streams every line, and counts them all', () => {
  const streamed: string[] = [];
  const trace = new Trace({ enabled: true, maxLines: 3, sink: (line) => streamed.push(line) });
  const cities = ['boston', 'philadelphia', 'london', 'pune', 'boston'];
  cities.forEach((city, i) => trace.record(i * 1.5, 'jupiter', 'put', city));
  assert.deepEqual(trace.lines(), ['       3.000 jupiter put london', '       4.500 jupiter put pune', '       6.000 jupiter put boston']);
  assert.equal(streamed.length, 5);
  assert.equal(streamed[0], '       0.000 jupiter put boston');
  assert.equal(trace.lineCount(), 5);
});

test('the digest tells apart runs that differ only in lines no longer kept', () => {
  const a = new Trace({ enabled: true, maxLines: 2 });
  const b = new Trace({ enabled: true, maxLines: 2 });
  a.record(1, 'saturn', 'put', 'boston=1');
  b.record(1, 'saturn', 'put', 'boston=2');
  for (const trace of [a, b]) {
    trace.record(2, 'saturn', 'put', 'london=3');
    trace.record(3, 'saturn', 'put', 'pune=4');
  }
  assert.deepEqual(a.lines(), b.lines());
  assert.notEqual(a.digest(), b.digest());
});

test('a disabled trace records nothing', () => {
  const streamed: string[] = [];
  const trace = new Trace({ sink: (line) => streamed.push(line) });
  trace.record(1, 'neptune', 'put', 'pune=1');
  assert.deepEqual(trace.lines(), []);
  assert.deepEqual(streamed, []);
  assert.equal(trace.lineCount(), 0);
});

test("a node's log line renders its fields plainly: strings quoted, bigints exact, errors by name", () => {
  const trace = new Trace({ enabled: true });
  const logger = traceLogger(trace, 'saturn', () => 12.5);
  logger.warn({ lease: 7_000_000_000_000_000_001n, key: 'london', error: new RangeError('ttl too small'), ttl: { seconds: 5 } }, 'lease refused');
  assert.deepEqual(trace.lines(), ['      12.500 saturn warn lease refused lease=7000000000000000001n key="london" error="RangeError: ttl too small" ttl={"seconds":5}']);
});

test('with tracing off a node gets the silent logger, so logging costs nothing', () => {
  assert.equal(traceLogger(new Trace(), 'saturn', () => 0), silentLogger);
});
