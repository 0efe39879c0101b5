import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketLowerUs, bucketUpperUs, histogramOf, mergeHistograms, percentileUs, summarizeMs } from '../../src/bench/etcd/histogram.js';

/** The nearest-rank percentile of the raw values, the figure the histogram approximates. */
function exactPercentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(fraction * sorted.length) - 1]!;
}

test('latencies under 128 us are kept exactly, so their percentiles are the exact nearest-rank values', () => {
  const latencies = Array.from({ length: 100 }, (_, i) => i + 1);
  const histogram = histogramOf(latencies);
  assert.equal(percentileUs(histogram, 0.5), 50);
  assert.equal(percentileUs(histogram, 0.99), 99);
  assert.equal(percentileUs(histogram, 1), 100);
  assert.equal(histogram.count, 100);
  assert.equal(histogram.maxUs, 100);
});

test('above 128 us each power of two is cut into 64 buckets, as the Go generator cuts it', () => {
  // The same points bench/loadgen/histogram.go maps: lower bound of the bucket holding each value.
  assert.equal(bucketLowerUs(127), 127);
  assert.equal(bucketLowerUs(128), 128);
  assert.equal(bucketLowerUs(129), 128);
  assert.equal(bucketLowerUs(255), 254);
  assert.equal(bucketLowerUs(256), 256);
  assert.equal(bucketLowerUs(1_000_000), 999_424);
  assert.equal(bucketUpperUs(999_424), 999_424 + 8191);
  assert.equal(bucketLowerUs(2 ** 40 - 1), 2 ** 40 - 2 ** 33);
  assert.throws(() => bucketLowerUs(-1), /whole number of microseconds/);
  assert.throws(() => bucketLowerUs(1.5), /whole number of microseconds/);
});

test('a reported percentile is never below the true one, at most 1/64 above it, and never above the largest latency', () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 1, maxLength: 400 }),
    fc.constantFrom(0.5, 0.9, 0.99, 0.999, 1),
    (latencies, fraction) => {
      const reported = percentileUs(histogramOf(latencies), fraction)!;
      const truth = exactPercentile(latencies, fraction);
      assert.ok(reported >= truth, `p${fraction * 100} reported ${reported} < true ${truth}`);
      assert.ok(reported <= truth * (1 + 1 / 64), `p${fraction * 100} reported ${reported} > true ${truth} + 1/64`);
      assert.ok(reported <= Math.max(...latencies));
    },
  ));
});

test('two rounds merged give the percentiles of all their latencies together', () => {
  const boston = Array.from({ length: 500 }, (_, i) => 1_000 + i * 3);
  const pune = Array.from({ length: 500 }, (_, i) => 40_000 + i * 17);
  const merged = mergeHistograms([histogramOf(boston), histogramOf(pune)]);
  const whole = histogramOf([...boston, ...pune]);
  assert.deepEqual(merged, whole);
  assert.equal(percentileUs(merged, 0.5), percentileUs(whole, 0.5));
});

test('a summary is in milliseconds, and an empty histogram has none', () => {
  const summary = summarizeMs(histogramOf([1_000, 2_000, 3_000, 100_000]))!;
  assert.ok(summary.p50 >= 2 && summary.p50 < 2.04, `p50 ${summary.p50}`);
  assert.equal(summary.max, 100);
  assert.equal(summary.mean, 26.5);
  assert.equal(summarizeMs(histogramOf([])), undefined);
  assert.equal(percentileUs(histogramOf([]), 0.5), undefined);
  assert.throws(() => percentileUs(histogramOf([5]), 0), /fraction in \(0, 1\]/);
  assert.throws(() => percentileUs(histogramOf([5]), 1.5), /fraction in \(0, 1\]/);
});
