package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
)

const watchPrefix = "bench/watch/"

type watcher struct {
	hist       histogram
	firstError string
}

// runWatch: one writer puts, sequentially, values that carry the time they
// were sent; each of the watchers holds its own watch stream on the prefix and
// measures how long each event took from the writer's send to its arrival.
func runWatch(o options) {
	conns, err := dialAll(o.endpoints, o.conns, o.dialTimout)
	if err != nil {
		fail("%v", err)
	}
	defer closeAll(conns)
	base := time.Now()
	ctx, cancelAll := context.WithCancel(context.Background())
	defer cancelAll()
	watchers := make([]watcher, o.watchers)
	counters := make([]counter, o.watchers)
	var w window
	var wg sync.WaitGroup
	for i := range watchers {
		stream, err := openWatch(ctx, pb.NewWatchClient(conns[i%len(conns)]), o.requestTimeout)
		if err != nil {
			fail("watcher %d: %v", i, err)
		}
		wg.Add(1)
		go func(i int, stream pb.Watch_WatchClient) {
			defer wg.Done()
			receive(stream, base, &watchers[i], &counters[i], &w)
		}(i, stream)
	}
	writerCounter := &counter{}
	var writerError string
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		writerError = write(o, pb.NewKVClient(conns[0]), base, writerCounter, &w)
	}()
	w.run(o, counters)
	<-writerDone
	cancelAll()
	wg.Wait()
	total := &histogram{}
	var errors uint64
	firstError := writerError
	for i := range watchers {
		total.merge(&watchers[i].hist)
		errors += counters[i].errors
		if firstError == "" {
			firstError = watchers[i].firstError
		}
	}
	writes := writerCounter.ops
	emit(map[string]interface{}{"event": "result", "workload": "watch", "windowS": w.seconds, "ops": total.total,
		"writes": writes, "errors": errors + writerCounter.errors, "firstError": firstError, "latencyUs": latencyJSON(total)})
}

func openWatch(ctx context.Context, client pb.WatchClient, timeout time.Duration) (pb.Watch_WatchClient, error) {
	stream, err := client.Watch(ctx)
	if err != nil {
		return nil, err
	}
	create := &pb.WatchCreateRequest{Key: []byte(watchPrefix), RangeEnd: prefixEnd(watchPrefix)}
	if err := stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: create}}); err != nil {
		return nil, err
	}
	created := make(chan error, 1)
	go func() {
		resp, err := stream.Recv()
		if err == nil && !resp.Created {
			err = fmt.Errorf("first watch response is not the creation: %v", resp)
		}
		created <- err
	}()
	select {
	case err := <-created:
		return stream, err
	case <-time.After(timeout):
		return nil, fmt.Errorf("watch not created within %v", timeout)
	}
}

func prefixEnd(prefix string) []byte {
	end := []byte(prefix)
	end[len(end)-1]++
	return end
}

func receive(stream pb.Watch_WatchClient, base time.Time, me *watcher, progress *counter, w *window) {
	for {
		resp, err := stream.Recv()
		if err != nil {
			if !w.done() && me.firstError == "" {
				me.firstError = err.Error()
				atomic.AddUint64(&progress.errors, 1)
			}
			return
		}
		now := uint64(time.Since(base))
		if !w.measuring() {
			continue
		}
		for _, event := range resp.Events {
			if event.Kv == nil || len(event.Kv.Value) < 8 {
				continue
			}
			sent := binary.LittleEndian.Uint64(event.Kv.Value)
			if now > sent {
				me.hist.record((now - sent) / uint64(time.Microsecond))
			} else {
				me.hist.record(0)
			}
			atomic.AddUint64(&progress.ops, 1)
		}
	}
}

func write(o options, kv pb.KVClient, base time.Time, progress *counter, w *window) string {
	const keys = 100
	names := make([][]byte, keys)
	for i := range names {
		names[i] = []byte(fmt.Sprintf("%s%03d", watchPrefix, i))
	}
	value := valueBytes(o.valueBytes, o.seed)
	firstError := ""
	for i := 0; !w.done(); i++ {
		binary.LittleEndian.PutUint64(value, uint64(time.Since(base)))
		ctx, cancel := context.WithTimeout(context.Background(), o.requestTimeout)
		_, err := kv.Put(ctx, &pb.PutRequest{Key: names[i%keys], Value: value})
		cancel()
		if !w.measuring() {
			continue
		}
		if err != nil {
			atomic.AddUint64(&progress.errors, 1)
			if firstError == "" {
				firstError = err.Error()
			}
			continue
		}
		atomic.AddUint64(&progress.ops, 1)
	}
	return firstError
}
