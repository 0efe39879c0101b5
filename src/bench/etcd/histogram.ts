// Latency percentiles from the load generator's log-linear histogram. The Go
// generator (bench/loadgen/histogram.go) keeps microseconds exactly below
// 128 us and in 64 buckets per power of two above, and sends the non-empty
// buckets as [lowerUs, count] pairs; this file holds the same bucket scheme so
// the percentiles computed here mean what the generator recorded.

export const EXACT_BELOW_US = 128;
export const SUB_BUCKETS = 64;

/** A bucket as the generator sends it: its lowest value in microseconds and how many latencies fell in it. */
export type Bucket = readonly [lowerUs: number, count: number];

export interface LatencyHistogram {
  readonly buckets: readonly Bucket[];
  readonly count: number;
  readonly sumUs: number;
  readonly maxUs: number;
}

export const emptyHistogram: LatencyHistogram = { buckets: [], count: 0, sumUs: 0, maxUs: 0 };

/** The lowest value of the bucket that holds `us`. */
export function bucketLowerUs(us: number): number {
  if (!Number.isSafeInteger(us) || us < 0) throw new RangeError(`a latency is a whole number of microseconds >= 0, got ${us}`);
  if (us < EXACT_BELOW_US) return us;
  const shift = bitLength(us) - 7;
  return Math.floor(us / 2 ** shift) * 2 ** shift;
}

/** The highest value that falls in the bucket starting at `lowerUs`. */
export function bucketUpperUs(lowerUs: number): number {
  if (lowerUs < EXACT_BELOW_US) return lowerUs;
  return lowerUs + 2 ** (bitLength(lowerUs) - 7) - 1;
}

/** Bits needed to write n (Go's bits.Len64); exact where Math.log2 may round up near a power of two. */
function bitLength(n: number): number {
  return n.toString(2).length;
}

/** Records latencies with the generator's bucket scheme (used by tests and by anything measured in Node). */
export function histogramOf(latenciesUs: readonly number[]): LatencyHistogram {
  const counts = new Map<number, number>();
  let sumUs = 0;
  let maxUs = 0;
  for (const us of latenciesUs) {
    const lower = bucketLowerUs(us);
    counts.set(lower, (counts.get(lower) ?? 0) + 1);
    sumUs += us;
    maxUs = Math.max(maxUs, us);
  }
  const buckets = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  return { buckets, count: latenciesUs.length, sumUs, maxUs };
}

export function mergeHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  const counts = new Map<number, number>();
  let count = 0;
  let sumUs = 0;
  let maxUs = 0;
  for (const h of histograms) {
    for (const [lower, n] of h.buckets) counts.set(lower, (counts.get(lower) ?? 0) + n);
    count += h.count;
    sumUs += h.sumUs;
    maxUs = Math.max(maxUs, h.maxUs);
  }
  return { buckets: [...counts.entries()].sort((a, b) => a[0] - b[0]), count, sumUs, maxUs };
}

/**
 * The nearest-rank percentile: the smallest recorded value v such that at
 * least `fraction` of all latencies are <= v, reported as the top of v's
 * bucket (never below the true value, at most 1.6% above it) and capped by the
 * largest latency seen. Undefined for an empty histogram.
 */
export function percentileUs(histogram: LatencyHistogram, fraction: number): number | undefined {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`a percentile is a fraction in (0, 1], got ${fraction}`);
  const total = histogram.buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(fraction * total);
  let seen = 0;
  for (const [lower, n] of histogram.buckets) {
    seen += n;
    if (seen >= rank) return Math.min(bucketUpperUs(lower), Math.max(histogram.maxUs, lower));
  }
  return histogram.maxUs;
}

export interface LatencySummaryMs {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly mean: number;
  readonly max: number;
}

export function summarizeMs(histogram: LatencyHistogram): LatencySummaryMs | undefined {
  if (histogram.count === 0) return undefined;
  const ms = (us: number | undefined): number => (us ?? 0) / 1000;
  return {
    p50: ms(percentileUs(histogram, 0.5)),
    p99: ms(percentileUs(histogram, 0.99)),
    p999: ms(percentileUs(histogram, 0.999)),
    mean: histogram.sumUs / histogram.count / 1000,
    max: histogram.maxUs / 1000,
  };
}
