// trellis-loadgen drives the etcd v3 gRPC API of a cluster (etcd or Trellis)
// for `trellis bench etcd`. It speaks to the generated gRPC stubs directly,
// without clientv3's retry layers, so that each request costs the client as
// little CPU as possible: on a 2-core machine the generator competes with the
// servers it measures. It reports on stdout, one JSON object per line; the
// harness samples server CPU when it reads "window-start" and "window-end".
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

type options struct {
	mode, workload             string
	endpoints                  []string
	conns, inflight            int
	durationS, warmupS         float64
	keys, valueBytes           int
	readPercent, watchers      int
	requestTimeout, dialTimout time.Duration
	readyTimeout               time.Duration
	verify                     bool
	seed                       int64
}

var outputLock sync.Mutex

func emit(fields map[string]interface{}) {
	line, err := json.Marshal(fields)
	if err != nil {
		line = []byte(fmt.Sprintf(`{"event":"error","message":%q}`, err.Error()))
	}
	outputLock.Lock()
	os.Stdout.Write(append(line, '\n'))
	outputLock.Unlock()
}

func fail(format string, args ...interface{}) {
	emit(map[string]interface{}{"event": "error", "message": fmt.Sprintf(format, args...)})
	os.Exit(2)
}

func parseOptions() options {
	var o options
	var endpoints string
	var requestTimeoutMs, dialTimeoutMs, readyTimeoutS int
	flag.StringVar(&o.mode, "mode", "run", "ready | preload | run")
	flag.StringVar(&endpoints, "endpoints", "127.0.0.1:2379", "comma-separated host:port of the members")
	flag.StringVar(&o.workload, "workload", "put", "put | range-lin | range-ser | mixed | watch")
	flag.IntVar(&o.conns, "conns", 8, "gRPC connections")
	flag.IntVar(&o.inflight, "inflight", 64, "requests in flight (closed loop)")
	flag.Float64Var(&o.durationS, "duration-s", 15, "measured window in seconds")
	flag.Float64Var(&o.warmupS, "warmup-s", 3, "warm-up before the window in seconds")
	flag.IntVar(&o.keys, "keys", 10000, "key space")
	flag.IntVar(&o.valueBytes, "value-bytes", 256, "bytes per value")
	flag.IntVar(&o.readPercent, "read-percent", 90, "reads among operations of the mixed workload")
	flag.IntVar(&o.watchers, "watchers", 100, "watch streams of the watch workload")
	flag.IntVar(&requestTimeoutMs, "request-timeout-ms", 10000, "deadline of each request")
	flag.IntVar(&dialTimeoutMs, "dial-timeout-ms", 5000, "deadline of each connection attempt")
	flag.IntVar(&readyTimeoutS, "ready-timeout-s", 30, "how long -mode ready waits for a working cluster")
	flag.BoolVar(&o.verify, "verify", false, "after a put workload, read back every acknowledged key")
	flag.Int64Var(&o.seed, "seed", 1, "seed of the key choice")
	flag.Parse()
	o.endpoints = strings.Split(endpoints, ",")
	o.requestTimeout = time.Duration(requestTimeoutMs) * time.Millisecond
	o.dialTimout = time.Duration(dialTimeoutMs) * time.Millisecond
	o.readyTimeout = time.Duration(readyTimeoutS) * time.Second
	if o.conns < 1 || o.inflight < 1 || o.keys < 1 || o.valueBytes < 8 || o.watchers < 1 {
		fail("conns, inflight, keys and watchers must be positive and value-bytes at least 8")
	}
	if o.durationS <= 0 || o.warmupS < 0 || o.durationS > 3600 || o.warmupS > 3600 {
		fail("duration-s must be in (0, 3600] and warmup-s in [0, 3600]")
	}
	return o
}

func main() {
	o := parseOptions()
	switch o.mode {
	case "ready":
		waitReady(o)
	case "preload":
		preload(o)
	case "run":
		switch o.workload {
		case "put", "range-lin", "range-ser", "mixed":
			runKV(o)
		case "watch":
			runWatch(o)
		default:
			fail("unknown workload %q: expected put, range-lin, range-ser, mixed or watch", o.workload)
		}
	default:
		fail("unknown mode %q: expected ready, preload or run", o.mode)
	}
}
