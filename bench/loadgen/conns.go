package main

import (
	"context"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc"
)

// dialAll opens count connections spread round-robin over the endpoints,
// starting with the leader when one can be found, so that a single-connection
// workload always talks to the leader whichever member won the election.
func dialAll(endpoints []string, count int, timeout time.Duration) ([]*grpc.ClientConn, error) {
	ordered := leaderFirst(endpoints, timeout)
	conns := make([]*grpc.ClientConn, 0, count)
	for i := 0; i < count; i++ {
		conn, err := dial(ordered[i%len(ordered)], timeout)
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conns = append(conns, conn)
	}
	return conns, nil
}

func dial(endpoint string, timeout time.Duration) (*grpc.ClientConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := grpc.DialContext(ctx, endpoint, grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s within %v: %w", endpoint, timeout, err)
	}
	return conn, nil
}

func closeAll(conns []*grpc.ClientConn) {
	for _, c := range conns {
		c.Close()
	}
}

// leaderFirst asks each member for its status and rotates the list so that
// the leader comes first; when no member answers it keeps the given order.
func leaderFirst(endpoints []string, timeout time.Duration) []string {
	for _, endpoint := range endpoints {
		conn, err := dial(endpoint, timeout)
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		status, err := pb.NewMaintenanceClient(conn).Status(ctx, &pb.StatusRequest{})
		cancel()
		conn.Close()
		if err != nil || status.Leader == 0 {
			continue
		}
		for i, candidate := range endpoints {
			if memberIDAt(candidate, timeout) == status.Leader {
				return append(append([]string{}, endpoints[i:]...), endpoints[:i]...)
			}
		}
		break
	}
	return endpoints
}

func memberIDAt(endpoint string, timeout time.Duration) uint64 {
	conn, err := dial(endpoint, timeout)
	if err != nil {
		return 0
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	status, err := pb.NewMaintenanceClient(conn).Status(ctx, &pb.StatusRequest{})
	if err != nil || status.Header == nil {
		return 0
	}
	return status.Header.MemberId
}
