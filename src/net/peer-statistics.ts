// What a peer transport reports for /metrics: per peer, whether the channel
// is up, what crossed it, what was dropped and why, and how healthy the link
// looks (reconnects, refusals, the last ping round trip).

import type { NodeId } from '../ids.js';

/** idle: not started; dialing: connecting or handshaking; waiting: backing off before the next dial. */
export type ChannelState = 'idle' | 'dialing' | 'established' | 'waiting' | 'stopped';

export type DropReason = 'queueFull' | 'disconnected' | 'tooLarge';

export interface PeerStatistics {
  readonly peer: NodeId;
  readonly address: string;
  readonly state: ChannelState;
  readonly connected: boolean;
  /** "local -> remote" of the open connection. */
  readonly connection: string | null;
  readonly dialledBy: NodeId | null;
  readonly messagesSent: number;
  readonly bytesSent: number;
  readonly messagesReceived: number;
  readonly bytesReceived: number;
  /** Writes handed to the connection; with coalescing, far fewer than messagesSent under load. */
  readonly writes: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  readonly malformedMessages: number;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  readonly dials: number;
  readonly channelsOpened: number;
  /** Channels opened after the first one. */
  readonly reconnects: number;
  /** Handshakes with this peer that we refused, and that it refused. */
  readonly refusedByUs: number;
  readonly refusedByPeer: number;
  readonly lastRoundTripMs: number | null;
}

export interface PeerTransportStatistics {
  readonly peers: readonly PeerStatistics[];
  /** Messages for members that are not peers (never known, or removed). */
  readonly droppedUnknownPeer: number;
  /** Accepted connections closed before a channel opened, by why: a refusal reason, 'malformed', 'timeout' or 'overload'. */
  readonly inboundRefused: Readonly<Record<string, number>>;
}

export class PeerCounters {
  messagesSent = 0;
  bytesSent = 0;
  messagesReceived = 0;
  bytesReceived = 0;
  writes = 0;
  readonly dropped: Record<DropReason, number> = { queueFull: 0, disconnected: 0, tooLarge: 0 };
  malformedMessages = 0;
  dials = 0;
  channelsOpened = 0;
  refusedByUs = 0;
  refusedByPeer = 0;
  lastRoundTripMs: number | null = null;

  snapshot(live: Pick<PeerStatistics, 'peer' | 'address' | 'state' | 'connection' | 'dialledBy' | 'queuedMessages' | 'queuedBytes'>): PeerStatistics {
    return {
      ...live,
      connected: live.state === 'established',
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      messagesReceived: this.messagesReceived,
      bytesReceived: this.bytesReceived,
      writes: this.writes,
      dropped: { ...this.dropped },
      malformedMessages: this.malformedMessages,
      dials: this.dials,
      channelsOpened: this.channelsOpened,
      reconnects: Math.max(0, this.channelsOpened - 1),
      refusedByUs: this.refusedByUs,
      refusedByPeer: this.refusedByPeer,
      lastRoundTripMs: this.lastRoundTripMs,
    };
  }
}
