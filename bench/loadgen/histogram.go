package main

import "math/bits"

// Latencies are kept in microseconds in log-linear buckets: exact below 128 us,
// then 64 buckets per power of two (under 1.6% error), so a worker records a
// latency with one array increment and no allocation. The harness computes
// percentiles from the sparse bucket list (src/bench/histogram.ts mirrors the
// bucket scheme).
const (
	exactBelowUs   = 128
	subBuckets     = 64
	maxShift       = 40
	histogramSlots = exactBelowUs + maxShift*subBuckets
)

type histogram struct {
	counts [histogramSlots]uint64
	total  uint64
	sumUs  uint64
	maxUs  uint64
}

func bucketIndex(us uint64) int {
	if us < exactBelowUs {
		return int(us)
	}
	shift := bits.Len64(us) - 7
	if shift > maxShift {
		return histogramSlots - 1
	}
	top := us >> uint(shift)
	return exactBelowUs + (shift-1)*subBuckets + int(top-subBuckets)
}

func bucketLowerUs(index int) uint64 {
	if index < exactBelowUs {
		return uint64(index)
	}
	shift := (index-exactBelowUs)/subBuckets + 1
	top := uint64((index-exactBelowUs)%subBuckets + subBuckets)
	return top << uint(shift)
}

func (h *histogram) record(us uint64) {
	h.counts[bucketIndex(us)]++
	h.total++
	h.sumUs += us
	if us > h.maxUs {
		h.maxUs = us
	}
}

func (h *histogram) merge(other *histogram) {
	for i, c := range other.counts {
		h.counts[i] += c
	}
	h.total += other.total
	h.sumUs += other.sumUs
	if other.maxUs > h.maxUs {
		h.maxUs = other.maxUs
	}
}

// sparse lists [lowerUs, count] for the non-empty buckets, in order.
func (h *histogram) sparse() [][2]uint64 {
	out := [][2]uint64{}
	for i, c := range h.counts {
		if c > 0 {
			out = append(out, [2]uint64{bucketLowerUs(i), c})
		}
	}
	return out
}
