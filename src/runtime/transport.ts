import type { NodeId } from '../ids.js';

/**
 * Messages between members, as protocol code sends them. Delivery is best
 * effort: a message may be lost, delayed, duplicated or reordered (the
 * simulator does all four on purpose), so protocols retry. Messages are
 * treated as immutable once sent: the simulator may deliver one object twice.
 */
export interface Transport<M> {
  readonly self: NodeId;
  send(to: NodeId, message: M): void;
  /**
   * Hands every message sent so far to the wire now rather than at the end of
   * the event-loop turn, for a sender about to be busy for a while (a leader
   * about to apply what it just told its followers is committed). Optional:
   * transports that do not batch have nothing to flush.
   */
  flush?(): void;
  /** Sets the one handler for inbound messages; replaces any earlier handler. */
  onReceive(handler: (from: NodeId, message: M) => void): void;
  /** Stops sending and receiving; pending messages may be dropped. */
  close(): void;
}

/** Turns messages into bytes and back, for transports that cross a real wire. */
export interface Codec<M> {
  encode(message: M): Uint8Array;
  /** Throws on malformed input; the transport drops such frames. */
  decode(bytes: Uint8Array): M;
}
