// The /metrics families that come from the process around the node: how
// long the disk takes to sync, and what crossed each peer channel.

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
  ];
}
