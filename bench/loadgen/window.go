package main

import (
	"sync/atomic"
	"time"
)

// A run has three phases: warm-up (operations are done but not counted), the
// measured window, and the drain (workers finish their last request and stop).
// Workers read the phase after each operation completes, so an operation
// counts when it completes inside the window.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseOver
)

type window struct {
	phase   int32
	stopped int32
	seconds float64
}

func (w *window) measuring() bool { return atomic.LoadInt32(&w.phase) == phaseMeasure }
func (w *window) done() bool      { return atomic.LoadInt32(&w.stopped) == 1 }

// counter is one worker's progress, padded to its own cache line so that
// workers on different cores do not contend for it.
type counter struct {
	ops    uint64
	errors uint64
	_      [48]byte
}

func sum(counters []counter) (ops, errors uint64) {
	for i := range counters {
		ops += atomic.LoadUint64(&counters[i].ops)
		errors += atomic.LoadUint64(&counters[i].errors)
	}
	return
}

// run drives the phases, reporting progress once a second, and returns when
// the window is over; the caller then stops and joins its workers.
func (w *window) run(o options, counters []counter) {
	emit(map[string]interface{}{"event": "warmup", "seconds": o.warmupS})
	time.Sleep(time.Duration(o.warmupS * float64(time.Second)))
	started := time.Now()
	atomic.StoreInt32(&w.phase, phaseMeasure)
	emit(map[string]interface{}{"event": "window-start"})
	deadline := started.Add(time.Duration(o.durationS * float64(time.Second)))
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		remaining := time.Until(deadline)
		if remaining <= 0 {
			break
		}
		select {
		case <-ticker.C:
			ops, errors := sum(counters)
			emit(map[string]interface{}{"event": "progress", "ops": ops, "errors": errors, "elapsedS": time.Since(started).Seconds()})
		case <-time.After(remaining):
		}
	}
	atomic.StoreInt32(&w.phase, phaseOver)
	w.seconds = time.Since(started).Seconds()
	emit(map[string]interface{}{"event": "window-end", "seconds": w.seconds})
	atomic.StoreInt32(&w.stopped, 1)
}

func latencyJSON(h *histogram) map[string]interface{} {
	return map[string]interface{}{"buckets": h.sparse(), "count": h.total, "sumUs": h.sumUs, "maxUs": h.maxUs}
}
