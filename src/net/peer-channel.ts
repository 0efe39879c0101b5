// Single-Socket Channel: everything one member sends another goes over one
// connection, in order. This is one peer's end of it: it dials and redials
// with backoff, keeps a bounded queue of what waits to be written, writes a
// turn's worth of messages at once (Request Batch on the wire, send-queue.ts),
// and pings an idle link and drops a silent one (channel-liveness.ts).
//
// What happens to a message depends on the channel's state: queued (within
// the limits) while the channel is open or being opened; dropped while the
// channel waits to redial, since a stale Raft message is worth less than the
// fresh one Raft will send anyway.

import type { NodeId } from '../ids.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { Random } from '../runtime/random.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { Codec } from '../runtime/transport.js';
import { Backoff, jittered } from './backoff.js';
import { ChannelLiveness } from './channel-liveness.js';
import { FRAME_HEADER_BYTES, encodeFrame } from './frame.js';
import { SendQueue, frameBytesOf } from './send-queue.js';
import { FramedConnection } from './framed-connection.js';
import { checkWelcome, ownHandshake, preferredDialler, type LocalIdentity, type Refusal } from './handshake.js';
import { formatAddress, type Network, type PeerAddress } from './network.js';
import type { PeerTransportLimits } from './peer-limits.js';
import { type ChannelState, type PeerStatistics, PeerCounters } from './peer-statistics.js';
import { FrameKind, decodeControlFrame, encodeHandshake, encodePing, encodeRefuse, formatClusterId, type RefuseReason } from './wire.js';


export interface ChannelContext<M> {
  readonly identity: LocalIdentity;
  readonly limits: PeerTransportLimits;
  readonly network: Network;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger: Logger;
  readonly codec: Codec<M>;
  deliver(from: NodeId, message: M): void;
  /** A peer refused our handshake (after it was logged): e.g. because this member was removed from the cluster. */
  refused?(peer: NodeId, reason: RefuseReason, text: string): void;
}

export class PeerChannel<M> {
  private state: ChannelState = 'idle';
  private dialing: FramedConnection | null = null;
  private current: FramedConnection | null = null;
  /** The handshake deadline of a dial, or the wait before the next one. */
  private timer: TimerHandle | null = null;
  private readonly liveness: ChannelLiveness;
  private readonly backoff: Backoff;
  private readonly queue: SendQueue;
  private flushScheduled = false;
  private failedDials = 0;
  private readonly counters = new PeerCounters();
  private readonly limits: PeerTransportLimits;
  private readonly logger: Logger;

  constructor(
    readonly peer: NodeId,
    private address: PeerAddress,
    private readonly context: ChannelContext<M>,
  ) {
    this.limits = context.limits;
    this.logger = context.logger;
    this.backoff = new Backoff(this.limits.reconnectMinMs, this.limits.reconnectMaxMs, context.random);
    this.queue = new SendQueue(this.limits);
    this.liveness = new ChannelLiveness(this.limits, context.clock, context.timers, {
      lastHeardMs: () => this.current?.lastHeardMs ?? context.clock.monotonicNowMs(),
      sendPing: (nowMs) => this.enqueueControl(encodePing('ping', nowMs)),
      silent: (silentMs) => this.lose(this.current!, `heard nothing for ${Math.round(silentMs)} ms`),
    });
  }

  start(): void {
    if (this.state === 'idle') this.dial();
  }

  get peerAddress(): PeerAddress {
    return this.address;
  }

  /** Queues one encoded message, or drops and counts it. */
  send(encoded: Uint8Array): void {
    if (1 + encoded.length > this.limits.maxFrameBytes) {
      this.counters.dropped.tooLarge++;
      this.logger.warn({ peer: this.peer, messageBytes: encoded.length }, `dropping a ${encoded.length}-byte message to ${this.peer}: over the frame limit of ${this.limits.maxFrameBytes} bytes`);
      return;
    }
    if (this.state === 'waiting' || this.state === 'stopped') {
      this.counters.dropped.disconnected++;
      return;
    }
    if (!this.queue.hasRoom(frameBytesOf(encoded, true), 1, this.bufferedBytes())) {
      this.counters.dropped.queueFull++;
      return;
    }
    this.enqueue(encoded, true);
  }

  /**
   * The tie rule for a connection the peer dialled; null when it becomes the
   * channel, else why it is refused. A peer dials only when it has no channel,
   * so its hello also says our open channel is stale, unless that channel is
   * one we dialled ourselves and the hello crossed it (simultaneous open); a
   * channel that still hears the peer's pings is not stale.
   */
  offerInbound(connection: FramedConnection): Refusal | null {
    const self = this.context.identity.self;
    const oursPreferred = preferredDialler(self, this.peer) === self;
    const silentMs = this.context.clock.monotonicNowMs() - (this.current?.lastHeardMs ?? 0);
    const oursAlive = this.state === 'dialing'
      || (this.state === 'established' && this.current!.dialledBy === self && silentMs <= 2 * this.limits.heartbeatIntervalMs);
    if (oursPreferred && oursAlive) {
      return { reason: 'duplicate', text: `${self} and ${this.peer} dialled each other; both keep the connection ${self} dialled` };
    }
    connection.dialledBy = this.peer;
    connection.write(encodeFrame(encodeHandshake('welcome', ownHandshake(this.context.identity, this.peer))));
    this.establish(connection);
    return null;
  }

  /** A new address for the peer: used from the next dial; an open channel stays open. */
  setAddress(address: PeerAddress): void {
    this.address = address;
    if (this.state === 'waiting' || this.state === 'dialing') {
      this.dialing?.close();
      this.dialing = null;
      this.cancelTimer();
      this.backoff.reset();
      this.dial();
    }
  }

  /** The peer left the cluster: tell it why (both logs say so), then stop for good. */
  remove(): void {
    const text = `${this.peer} was removed from cluster ${formatClusterId(this.context.identity.clusterId)}`;
    this.current?.close(encodeFrame(encodeRefuse('removed', text)));
    this.stop();
  }

  stop(): void {
    this.state = 'stopped';
    this.cancelTimer();
    this.dialing?.close();
    this.dialing = null;
    if (this.current !== null) {
      const connection = this.current;
      this.teardownCurrent();
      connection.close();
    }
    this.queue.clear();
  }

  /** The transport refused a hello from this peer (e.g. it claims another cluster). */
  noteRefusedByUs(): void {
    this.counters.refusedByUs++;
  }

  statistics(): PeerStatistics {
    return this.counters.snapshot({
      peer: this.peer,
      address: formatAddress(this.address),
      state: this.state,
      connection: this.current?.label ?? null,
      dialledBy: this.current?.dialledBy ?? null,
      queuedMessages: this.queue.queuedMessages(),
      queuedBytes: this.queue.queuedBytes(this.bufferedBytes()),
    });
  }

  private dial(): void {
    this.timer = null;
    let connection: FramedConnection;
    try {
      connection = new FramedConnection(this.context.network.dial(this.address), this.context.identity.self, this.limits.maxFrameBytes, this.context.clock);
    } catch (error) {
      this.logger.warn({ peer: this.peer, address: formatAddress(this.address) }, `cannot dial ${this.peer} at ${formatAddress(this.address)}: ${String(error)}`);
      this.waitThenDial(jittered(this.limits.refusedRetryMs, this.context.random));
      return;
    }
    this.dialing = connection;
    this.state = 'dialing';
    this.counters.dials++;
    connection.listen({
      opened: () => connection.write(encodeFrame(encodeHandshake('hello', ownHandshake(this.context.identity, this.peer)))),
      frame: (payload) => this.onDialFrame(connection, payload),
      ended: (reason) => this.dialFailed(connection, reason),
    });
    this.timer = this.context.timers.schedule(this.limits.handshakeTimeoutMs, () => {
      this.timer = null;
      this.dialFailed(connection, `no answer to our hello within ${this.limits.handshakeTimeoutMs} ms`);
    });
  }

  private onDialFrame(connection: FramedConnection, payload: Uint8Array): void {
    let frame;
    try {
      frame = decodeControlFrame(payload);
    } catch (error) {
      this.dialFailed(connection, `answered our hello with a bad frame: ${(error as Error).message}`);
      return;
    }
    if (frame.kind === 'refuse') return this.onRefused(connection, frame.reason, frame.text);
    if (frame.kind !== 'welcome') return this.dialFailed(connection, `answered our hello with a ${frame.kind} frame`);
    const refusal = checkWelcome(frame.handshake, this.context.identity, this.peer);
    if (refusal !== null) {
      this.counters.refusedByUs++;
      this.logger.warn({ peer: this.peer, connection: connection.label, reason: refusal.reason }, `refusing ${this.peer} (${connection.label}): ${refusal.text}`);
      this.abandon(connection, encodeFrame(encodeRefuse(refusal.reason, refusal.text)));
      this.waitThenDial(jittered(this.limits.refusedRetryMs, this.context.random));
      return;
    }
    this.establish(connection);
  }

  private dialFailed(connection: FramedConnection, reason: string): void {
    if (connection !== this.dialing) return;
    this.abandon(connection);
    this.failedDials++;
    // The first failure in a row is news; the rest of a long outage is noise at info level.
    const level = this.failedDials === 1 ? 'info' : 'debug';
    this.logger[level]({ peer: this.peer, address: formatAddress(this.address), failedDials: this.failedDials }, `cannot reach ${this.peer} at ${formatAddress(this.address)}: ${reason}`);
    this.waitThenDial(this.backoff.nextDelayMs());
  }

  private onRefused(connection: FramedConnection, reason: RefuseReason, text: string): void {
    if (connection !== this.dialing && connection !== this.current) return;
    this.abandon(connection);
    if (reason === 'duplicate') {
      // The peer keeps the connection it dialled; ours was the spare.
      this.logger.debug({ peer: this.peer, connection: connection.label }, `peer ${this.peer} kept its own connection: ${text}`);
      this.waitThenDial(this.backoff.nextDelayMs());
      return;
    }
    this.counters.refusedByPeer++;
    this.logger.warn({ peer: this.peer, connection: connection.label, reason }, `peer ${this.peer} refused us: ${text}`);
    this.waitThenDial(jittered(this.limits.refusedRetryMs, this.context.random));
    this.context.refused?.(this.peer, reason, text);
  }

  /** Closes a dialling or established connection and drops what was queued for it. */
  private abandon(connection: FramedConnection, finalBytes?: Uint8Array): void {
    connection.close(finalBytes);
    if (connection === this.dialing) {
      this.dialing = null;
      this.cancelTimer();
    }
    if (connection === this.current) this.teardownCurrent();
    this.dropPending();
  }

  private establish(connection: FramedConnection): void {
    this.cancelTimer();
    if (this.dialing !== null && this.dialing !== connection) {
      this.logger.debug({ peer: this.peer }, `${this.peer} and we dialled each other: keeping the connection ${connection.dialledBy} dialled`);
      this.dialing.close();
    }
    this.dialing = null;
    if (this.current !== null && this.current !== connection) {
      const old = this.current;
      this.teardownCurrent();
      old.close();
      this.logger.info({ peer: this.peer, old: old.label, replacement: connection.label }, `${this.peer} dialled a new connection: it replaces ${old.label}`);
    }
    connection.markHandshaken();
    connection.listen({
      opened: () => {},
      frame: (payload) => this.onFrame(connection, payload),
      ended: (reason) => this.lose(connection, reason),
    });
    this.current = connection;
    this.queue.forgetInFlight();
    this.state = 'established';
    this.failedDials = 0;
    this.backoff.reset();
    this.counters.channelsOpened++;
    this.logger.info({ peer: this.peer, connection: connection.label, dialledBy: connection.dialledBy }, `channel to ${this.peer} open over ${connection.label} (dialled by ${connection.dialledBy})`);
    // An immediate ping measures the round trip and flushes whatever queued while dialling.
    this.liveness.start();
  }

  private lose(connection: FramedConnection, reason: string): void {
    if (connection !== this.current) return;
    this.abandon(connection);
    this.logger.warn({ peer: this.peer, connection: connection.label }, `channel to ${this.peer} lost (${connection.label}): ${reason}`);
    this.waitThenDial(this.backoff.nextDelayMs());
  }

  private waitThenDial(delayMs: number): void {
    this.state = 'waiting';
    this.cancelTimer();
    this.timer = this.context.timers.schedule(delayMs, () => this.dial());
  }

  private onFrame(connection: FramedConnection, payload: Uint8Array): void {
    this.counters.bytesReceived += FRAME_HEADER_BYTES + payload.length;
    if (payload[0] === FrameKind.message) {
      this.counters.messagesReceived++;
      let message: M;
      try {
        message = this.context.codec.decode(payload.subarray(1));
      } catch (error) {
        this.counters.malformedMessages++;
        this.logger.warn({ peer: this.peer, error: String(error) }, `dropping a malformed message from ${this.peer}`);
        return;
      }
      this.context.deliver(this.peer, message);
      return;
    }
    let frame;
    try {
      frame = decodeControlFrame(payload);
    } catch (error) {
      this.lose(connection, `sent a bad frame: ${(error as Error).message}`);
      return;
    }
    if (frame.kind === 'ping') this.enqueueControl(encodePing('pong', frame.sentAtMs));
    else if (frame.kind === 'pong') this.counters.lastRoundTripMs = Math.max(0, this.context.clock.monotonicNowMs() - frame.sentAtMs);
    else if (frame.kind === 'refuse') this.onRefused(connection, frame.reason, frame.text);
    else this.lose(connection, `sent a ${frame.kind} on an open channel`);
  }

  private bufferedBytes(): number {
    return this.current?.bufferedBytes() ?? 0;
  }

  /** Control frames obey the byte limit too (a peer that pings but never reads must not grow our queue). */
  private enqueueControl(payload: Uint8Array): void {
    if (this.queue.hasRoom(frameBytesOf(payload, false), 0, this.bufferedBytes())) this.enqueue(payload, false);
  }

  private enqueue(payload: Uint8Array, isMessage: boolean): void {
    this.queue.push(payload, isMessage);
    if (this.state !== 'established') return;
    if (!this.limits.coalesceWrites) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.context.network.afterTurn(this.scheduledFlush);
    }
  }

  /** Writes what is queued now instead of at the end of the turn (the scheduled flush then finds nothing). */
  flushNow(): void {
    if (this.flushScheduled && this.state === 'established') this.flush();
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    const connection = this.current;
    if (connection === null || this.queue.isEmpty) return;
    const drained = this.queue.drain((batch, onFlushed) => connection.write(batch, onFlushed));
    this.counters.writes += drained.writes;
    this.counters.bytesSent += drained.bytes;
    this.counters.messagesSent += drained.messages;
    this.liveness.noteSent(this.context.clock.monotonicNowMs());
  }

  private dropPending(): void {
    this.counters.dropped.disconnected += this.queue.clear();
  }

  private teardownCurrent(): void {
    this.current = null;
    this.queue.forgetInFlight();
    this.liveness.stop();
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.context.timers.cancel(this.timer);
    this.timer = null;
  }
}
