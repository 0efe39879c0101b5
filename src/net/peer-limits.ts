// Every bound of the peer transport, named with its unit, with the default
// and the reason for it. The timing defaults are chosen so that a link that
// heals after a partition carries traffic again within a second: a dead
// channel is noticed after deadAfterMs, a redial stuck in the partition gives
// up after handshakeTimeoutMs, and the next one starts within reconnectMaxMs.

import { DEFAULT_MAX_FRAME_BYTES } from './frame.js';

export interface PeerTransportLimits {
  /** The largest frame sent or accepted; a bigger incoming frame resets the channel, a bigger outgoing message is dropped. */
  readonly maxFrameBytes: number;
  /** Bytes waiting for one peer (not yet written plus written but still in this process); beyond, new messages are dropped. */
  readonly maxQueuedBytesPerPeer: number;
  /** Messages waiting for one peer, counted the same way. */
  readonly maxQueuedMessagesPerPeer: number;
  /** Put messages sent in one event-loop turn into one write (Request Batch on the wire). */
  readonly coalesceWrites: boolean;
  /** The most bytes in one write; a bigger turn's worth goes out in several. */
  readonly maxBatchBytes: number;
  /** A channel that has sent nothing for this long sends a ping. */
  readonly heartbeatIntervalMs: number;
  /** A channel that has heard nothing for this long is closed and redialled. */
  readonly deadAfterMs: number;
  /** A connection that has not completed its handshake after this long is closed. */
  readonly handshakeTimeoutMs: number;
  /** Redial delays double from reconnectMinMs up to reconnectMaxMs, with jitter. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** After a peer refuses our handshake we wait about this long before trying again (not a tight loop). */
  readonly refusedRetryMs: number;
  /** Accepted connections still waiting for their hello; beyond, new connections are closed at once. */
  readonly maxPendingHandshakes: number;
  /** Removed members remembered (and refused) at once; the oldest is forgotten first. */
  readonly maxRemovedMembers: number;
}

export const defaultPeerTransportLimits: PeerTransportLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxQueuedBytesPerPeer: 8 * 1024 * 1024,
  maxQueuedMessagesPerPeer: 4096,
  coalesceWrites: true,
  maxBatchBytes: 1024 * 1024,
  heartbeatIntervalMs: 100,
  deadAfterMs: 500,
  handshakeTimeoutMs: 400,
  reconnectMinMs: 50,
  reconnectMaxMs: 250,
  refusedRetryMs: 5_000,
  maxPendingHandshakes: 64,
  maxRemovedMembers: 1024,
};

export function resolveLimits(overrides: Partial<PeerTransportLimits> | undefined): PeerTransportLimits {
  const limits = { ...defaultPeerTransportLimits, ...overrides };
  const positive: Array<keyof PeerTransportLimits> = [
    'maxFrameBytes', 'maxQueuedBytesPerPeer', 'maxQueuedMessagesPerPeer', 'maxBatchBytes', 'heartbeatIntervalMs',
    'deadAfterMs', 'handshakeTimeoutMs', 'reconnectMinMs', 'reconnectMaxMs', 'refusedRetryMs', 'maxPendingHandshakes', 'maxRemovedMembers',
  ];
  for (const name of positive) {
    const value = limits[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`peer transport limit ${name} must be a positive number, got ${String(value)}`);
  }
  if (limits.reconnectMaxMs < limits.reconnectMinMs) throw new RangeError(`reconnectMaxMs (${limits.reconnectMaxMs}) is below reconnectMinMs (${limits.reconnectMinMs})`);
  if (limits.deadAfterMs <= limits.heartbeatIntervalMs) throw new RangeError(`deadAfterMs (${limits.deadAfterMs}) must exceed heartbeatIntervalMs (${limits.heartbeatIntervalMs})`);
  return limits;
}
