// The /metrics families that come from the process around the node: how
// long the disk takes to sync, what crossed each peer channel, and the
// process's memory (resident, V8 heap, and buffers outside the heap).

import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import type { MetricFamily, Sample } from '../../server/metrics.js';
import type { PeerTransportStatistics } from '../../net/peer-statistics.js';
import type { TimedDisk } from './timed-disk.js';

export function processMetricFamilies(disk: TimedDisk, peers: PeerTransportStatistics): MetricFamily[] {
  const perPeer = (value: (peer: PeerTransportStatistics['peers'][number]) => number): Sample[] =>
    peers.peers.map((peer) => ({ labels: { To: peer.peer }, value: value(peer) }));
  return [
    disk.syncSeconds.family('etcd_disk_wal_fsync_duration_seconds', 'The latency distributions of fdatasync called by the WAL (and the Raft snapshot and hard state files).'),
    { name: 'etcd_network_peer_sent_bytes_total', help: 'The total number of bytes sent to peers.', type: 'counter', samples: perPeer((p) => p.bytesSent) },
    { name: 'etcd_network_peer_received_bytes_total', help: 'The total number of bytes received from peers.', type: 'counter', samples: perPeer((p) => p.bytesReceived) },
    { name: 'etcd_network_peer_sent_failures_total', help: 'The total number of messages to peers dropped (queue full, disconnected, too large).', type: 'counter',
      samples: perPeer((p) => p.dropped.queueFull + p.dropped.disconnected + p.dropped.tooLarge) },
    { name: 'trellis_peer_connected', help: 'Whether the Single-Socket Channel to each peer is open.', type: 'gauge', samples: perPeer((p) => (p.connected ? 1 : 0)) },
    { name: 'trellis_peer_reconnects_total', help: 'Channels to each peer opened after the first.', type: 'counter', samples: perPeer((p) => p.reconnects) },
    { name: 'trellis_peer_round_trip_seconds', help: 'The last ping round trip on each peer channel.', type: 'gauge', samples: perPeer((p) => (p.lastRoundTripMs ?? 0) / 1000) },
    ...memoryFamilies(process.memoryUsage(), getHeapStatistics().malloced_memory),
    heapSpaceFamily(),
  ];
}

function memoryFamilies(usage: NodeJS.MemoryUsage, v8MallocedBytes: number): MetricFamily[] {
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ labels: {}, value }] });
  return [
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', usage.rss),
    gauge('nodejs_heap_used_bytes', 'Bytes of the V8 heap in use.', usage.heapUsed),
    gauge('nodejs_heap_total_bytes', 'Bytes the V8 heap has reserved.', usage.heapTotal),
    gauge('nodejs_external_memory_bytes', 'Bytes outside the V8 heap held by its objects (buffers among them).', usage.external),
    gauge('nodejs_array_buffers_bytes', 'Bytes of ArrayBuffers and Buffers.', usage.arrayBuffers),
    gauge('nodejs_v8_malloced_bytes', 'Bytes V8 holds from malloc for its own bookkeeping.', v8MallocedBytes),
  ];
}

/** Each V8 heap space's size, as prom-client names it: new is the young generation, whose largest size the member's node flags set (member-node-flags.ts). */
function heapSpaceFamily(): MetricFamily {
  return {
    name: 'nodejs_heap_space_size_total_bytes',
    help: 'Bytes each V8 heap space has reserved.',
    type: 'gauge',
    samples: getHeapSpaceStatistics().map((space) => ({ labels: { space: space.space_name.replace(/_space$/, '') }, value: space.space_size })),
  };
}
