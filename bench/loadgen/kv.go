package main

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
)

func keyNames(count int) [][]byte {
	keys := make([][]byte, count)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("bench/key/%06d", i))
	}
	return keys
}

func valueBytes(size int, seed int64) []byte {
	value := make([]byte, size)
	rand.New(rand.NewSource(seed)).Read(value)
	return value
}

type kvWorker struct {
	hist       histogram
	firstError string
	emptyReads uint64
	acked      map[int]int64
}

func runKV(o options) {
	conns, err := dialAll(o.endpoints, o.conns, o.dialTimout)
	if err != nil {
		fail("%v", err)
	}
	defer closeAll(conns)
	keys := keyNames(o.keys)
	value := valueBytes(o.valueBytes, o.seed)
	workers := make([]kvWorker, o.inflight)
	counters := make([]counter, o.inflight)
	var w window
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			work(o, pb.NewKVClient(conns[i%len(conns)]), keys, value, &workers[i], &counters[i], &w, o.seed*7919+int64(i))
		}(i)
	}
	w.run(o, counters)
	wg.Wait()
	total := &histogram{}
	var errors, emptyReads uint64
	firstError := ""
	acked := map[int]int64{}
	for i := range workers {
		total.merge(&workers[i].hist)
		errors += counters[i].errors
		emptyReads += workers[i].emptyReads
		if firstError == "" {
			firstError = workers[i].firstError
		}
		for k, rev := range workers[i].acked {
			if rev > acked[k] {
				acked[k] = rev
			}
		}
	}
	result := map[string]interface{}{"event": "result", "workload": o.workload, "windowS": w.seconds,
		"ops": total.total, "errors": errors, "firstError": firstError, "emptyReads": emptyReads, "latencyUs": latencyJSON(total)}
	if o.verify {
		result["verify"] = verifyAcked(o, pb.NewKVClient(conns[0]), keys, acked)
	}
	emit(result)
}

func work(o options, kv pb.KVClient, keys [][]byte, value []byte, me *kvWorker, progress *counter, w *window, seed int64) {
	random := rand.New(rand.NewSource(seed))
	put := &pb.PutRequest{Value: value}
	get := &pb.RangeRequest{Serializable: o.workload == "range-ser"}
	if o.verify {
		me.acked = map[int]int64{}
	}
	for !w.done() {
		index := random.Intn(len(keys))
		isPut := o.workload == "put" || (o.workload == "mixed" && random.Intn(100) >= o.readPercent)
		ctx, cancel := context.WithTimeout(context.Background(), o.requestTimeout)
		started := time.Now()
		var err error
		if isPut {
			put.Key = keys[index]
			var resp *pb.PutResponse
			resp, err = kv.Put(ctx, put)
			if err == nil && me.acked != nil && resp.Header != nil && resp.Header.Revision > me.acked[index] {
				me.acked[index] = resp.Header.Revision
			}
		} else {
			get.Key = keys[index]
			var resp *pb.RangeResponse
			resp, err = kv.Range(ctx, get)
			if err == nil && len(resp.Kvs) == 0 {
				me.emptyReads++
			}
		}
		elapsed := time.Since(started)
		cancel()
		if !w.measuring() {
			continue
		}
		if err != nil {
			atomic.AddUint64(&progress.errors, 1)
			if me.firstError == "" {
				me.firstError = err.Error()
			}
			continue
		}
		me.hist.record(uint64(elapsed / time.Microsecond))
		atomic.AddUint64(&progress.ops, 1)
	}
}

// verifyAcked reads back every key whose put was acknowledged: a durable
// store must return it at the acknowledged revision or a later one.
func verifyAcked(o options, kv pb.KVClient, keys [][]byte, acked map[int]int64) map[string]interface{} {
	missing := 0
	firstMissing := ""
	for index, revision := range acked {
		ctx, cancel := context.WithTimeout(context.Background(), o.requestTimeout)
		resp, err := kv.Range(ctx, &pb.RangeRequest{Key: keys[index]})
		cancel()
		if err != nil || len(resp.Kvs) == 0 || resp.Kvs[0].ModRevision < revision {
			missing++
			if firstMissing == "" {
				firstMissing = fmt.Sprintf("%s acknowledged at revision %d", keys[index], revision)
			}
		}
	}
	return map[string]interface{}{"keys": len(acked), "missing": missing, "firstMissing": firstMissing}
}

// preload writes every key once so that read workloads find what they ask for.
func preload(o options) {
	conns, err := dialAll(o.endpoints, o.conns, o.dialTimout)
	if err != nil {
		fail("%v", err)
	}
	defer closeAll(conns)
	keys := keyNames(o.keys)
	value := valueBytes(o.valueBytes, o.seed)
	started := time.Now()
	var next int64 = -1
	var failed int64
	var wg sync.WaitGroup
	for i := 0; i < o.inflight; i++ {
		wg.Add(1)
		go func(kv pb.KVClient) {
			defer wg.Done()
			for {
				index := atomic.AddInt64(&next, 1)
				if index >= int64(len(keys)) {
					return
				}
				const attempts = 3
				for attempt := 1; attempt <= attempts; attempt++ {
					ctx, cancel := context.WithTimeout(context.Background(), o.requestTimeout)
					_, err := kv.Put(ctx, &pb.PutRequest{Key: keys[index], Value: value})
					cancel()
					if err == nil {
						break
					}
					if attempt == attempts {
						atomic.AddInt64(&failed, 1)
					}
				}
			}
		}(pb.NewKVClient(conns[i%len(conns)]))
	}
	wg.Wait()
	if failed > 0 {
		fail("preload: %d of %d keys could not be written after 3 attempts each", failed, len(keys))
	}
	emit(map[string]interface{}{"event": "preloaded", "keys": len(keys), "seconds": time.Since(started).Seconds()})
}

// waitReady returns once every member accepts a put and serves a
// linearizable read, which needs an elected leader and a working quorum.
func waitReady(o options) {
	started := time.Now()
	deadline := started.Add(o.readyTimeout)
	lastError := "no attempt made"
	for time.Now().Before(deadline) {
		if err := probeAll(o); err == nil {
			emit(map[string]interface{}{"event": "ready", "seconds": time.Since(started).Seconds()})
			return
		} else {
			lastError = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	fail("cluster not ready after %v: %s", o.readyTimeout, lastError)
}

func probeAll(o options) error {
	for _, endpoint := range o.endpoints {
		conn, err := dial(endpoint, o.dialTimout)
		if err != nil {
			return err
		}
		kv := pb.NewKVClient(conn)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err = kv.Put(ctx, &pb.PutRequest{Key: []byte("bench/ready"), Value: []byte(endpoint)})
		if err == nil {
			_, err = kv.Range(ctx, &pb.RangeRequest{Key: []byte("bench/ready")})
		}
		cancel()
		conn.Close()
		if err != nil {
			return fmt.Errorf("%s: %v", endpoint, err)
		}
	}
	return nil
}
