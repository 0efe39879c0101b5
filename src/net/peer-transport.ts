// The peer transport a Raft member uses: one Single-Socket Channel per peer,
// a listener that admits only members of this cluster, and the membership
// calls the server makes as configuration changes apply. It implements the
// runtime's Transport, so the Raft node neither knows nor cares that the
// messages cross TCP. All I/O goes through a Network (the TCP adapter lives in
// src/runtime/node/tcp-transport.ts); time and randomness through the runtime.

import type { ClusterId, NodeId } from '../ids.js';
import type { Clock } from '../runtime/clock.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import type { Random } from '../runtime/random.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { Codec, Transport } from '../runtime/transport.js';
import { encodeFrame } from './frame.js';
import { FramedConnection } from './framed-connection.js';
import { checkHello, type LocalIdentity } from './handshake.js';
import { formatAddress, type Connection, type Listener, type Network, type PeerAddress } from './network.js';
import { type ChannelContext, PeerChannel } from './peer-channel.js';
import { resolveLimits, type PeerTransportLimits } from './peer-limits.js';
import type { PeerStatistics, PeerTransportStatistics } from './peer-statistics.js';
import { checkMemberId, decodeControlFrame, encodeDiscovered, encodeRefuse, MalformedPeerFrame, type Discovery, type RefuseReason } from './wire.js';

export interface PeerTransportOptions<M> {
  readonly self: NodeId;
  readonly clusterId: ClusterId;
  /** Where to listen for peers; port 0 picks a free port (see start()). */
  readonly listen: PeerAddress;
  /** The other members and their peer addresses; an entry for self is ignored. */
  readonly peers: ReadonlyMap<NodeId, PeerAddress>;
  readonly codec: Codec<M>;
  readonly network: Network;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger?: Logger;
  readonly limits?: Partial<PeerTransportLimits>;
  /** Told when a peer refuses this member's handshake (after the refusal is logged). */
  readonly onRefused?: (peer: NodeId, reason: RefuseReason, text: string) => void;
  /** Answers a joining member's "who am I?" (see discovery.ts); without it, such questions are refused. */
  readonly discover?: (peerUrls: readonly string[]) => Discovery;
}

export class PeerTransport<M> implements Transport<M> {
  readonly self: NodeId;
  private readonly channels = new Map<NodeId, PeerChannel<M>>();
  /** Insertion-ordered, so the oldest removal is forgotten first when the bound is reached. */
  private readonly removed = new Set<NodeId>();
  private readonly handshaking = new Map<FramedConnection, TimerHandle>();
  private readonly inboundRefused: Record<string, number> = {};
  private readonly limits: PeerTransportLimits;
  private readonly logger: Logger;
  private readonly context: ChannelContext<M>;
  private handler: (from: NodeId, message: M) => void = () => {};
  private listener: Listener | null = null;
  private started = false;
  private closed = false;
  private droppedUnknownPeer = 0;

  constructor(private readonly options: PeerTransportOptions<M>) {
    this.self = options.self;
    checkMemberId(options.self);
    this.limits = resolveLimits(options.limits);
    this.logger = options.logger ?? silentLogger;
    const identity: LocalIdentity = {
      self: options.self,
      clusterId: options.clusterId,
      isPeer: (id) => this.channels.has(id),
      wasRemoved: (id) => this.removed.has(id),
    };
    this.context = {
      identity,
      limits: this.limits,
      network: options.network,
      clock: options.clock,
      timers: options.timers,
      random: options.random,
      logger: this.logger,
      codec: options.codec,
      deliver: (from, message) => this.deliver(from, message),
      refused: (peer, reason, text) => this.options.onRefused?.(peer, reason, text),
    };
    for (const [id, address] of options.peers) {
      checkMemberId(id);
      if (id !== options.self) this.channels.set(id, new PeerChannel(id, address, this.context));
    }
  }

  /** Listens, then dials every peer. Resolves to the address bound; rejects naming the address if it is taken. */
  async start(): Promise<PeerAddress> {
    if (this.started || this.closed) throw new Error(`peer transport of ${this.self} was already ${this.closed ? 'closed' : 'started'}`);
    this.started = true;
    const listener = await this.options.network.listen(this.options.listen, (connection) => this.accept(connection));
    if (this.closed) {
      listener.close();
      throw new Error(`peer transport of ${this.self} was closed while starting`);
    }
    this.listener = listener;
    this.logger.info({ address: formatAddress(listener.address) }, `${this.self} listening for peers on ${formatAddress(listener.address)}`);
    for (const channel of this.channels.values()) channel.start();
    return listener.address;
  }

  /** The address peers reach this member on (after start). */
  get address(): PeerAddress {
    if (this.listener === null) throw new Error(`peer transport of ${this.self} is not listening`);
    return this.listener.address;
  }

  send(to: NodeId, message: M): void {
    if (this.closed) return;
    const channel = this.channels.get(to);
    if (channel === undefined) {
      this.droppedUnknownPeer++;
      return;
    }
    channel.send(this.options.codec.encode(message));
  }

  flush(): void {
    for (const channel of this.channels.values()) channel.flushNow();
  }

  onReceive(handler: (from: NodeId, message: M) => void): void {
    this.handler = handler;
  }

  /** A member joined (or re-joined): dial it and accept its connections. An existing peer just gets the address. */
  addPeer(id: NodeId, address: PeerAddress): void {
    if (this.closed || id === this.self) return;
    checkMemberId(id);
    const existing = this.channels.get(id);
    if (existing !== undefined) return this.updatePeer(id, address);
    this.removed.delete(id);
    const channel = new PeerChannel(id, address, this.context);
    this.channels.set(id, channel);
    this.logger.info({ peer: id, address: formatAddress(address) }, `peer ${id} added at ${formatAddress(address)}`);
    if (this.started) channel.start();
  }

  /** A member left: close its channel (telling it why) and refuse it from now on. */
  removePeer(id: NodeId): void {
    if (this.closed || id === this.self) return;
    const channel = this.channels.get(id);
    this.channels.delete(id);
    channel?.remove();
    if (this.removed.size >= this.limits.maxRemovedMembers) this.removed.delete(this.removed.values().next().value!);
    this.removed.add(id);
    this.logger.info({ peer: id }, `peer ${id} removed: its channel is closed and it is refused from now on`);
  }

  /** A member's peer address changed: the next dial uses it. A removed member stays removed. */
  updatePeer(id: NodeId, address: PeerAddress): void {
    if (this.closed || id === this.self) return;
    const channel = this.channels.get(id);
    if (channel === undefined) {
      if (this.removed.has(id)) this.logger.warn({ peer: id }, `ignoring a new address for ${id}: it was removed`);
      else this.addPeer(id, address);
      return;
    }
    const old = channel.peerAddress;
    if (old.host === address.host && old.port === address.port) return;
    this.logger.info({ peer: id, address: formatAddress(address) }, `peer ${id} moved from ${formatAddress(old)} to ${formatAddress(address)}`);
    channel.setAddress(address);
  }

  /** The current peers and their addresses. */
  peers(): ReadonlyMap<NodeId, PeerAddress> {
    return new Map([...this.channels].map(([id, channel]) => [id, channel.peerAddress]));
  }

  statistics(): PeerTransportStatistics {
    const peers: PeerStatistics[] = [...this.channels.values()].map((channel) => channel.statistics());
    return { peers, droppedUnknownPeer: this.droppedUnknownPeer, inboundRefused: { ...this.inboundRefused } };
  }

  /** Stops timers, closes every connection and the listener. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener?.close();
    this.listener = null;
    for (const channel of this.channels.values()) channel.stop();
    for (const [connection, deadline] of this.handshaking) {
      this.options.timers.cancel(deadline);
      connection.close();
    }
    this.handshaking.clear();
  }

  private deliver(from: NodeId, message: M): void {
    try {
      this.handler(from, message);
    } catch (error) {
      // A handler bug must not take the channel (and every later message) down with it.
      this.logger.error({ peer: from, error: String(error) }, `the receive handler failed on a message from ${from}; the message is dropped`);
    }
  }

  private accept(connection: Connection): void {
    if (this.closed) return connection.close();
    if (this.handshaking.size >= this.limits.maxPendingHandshakes) {
      this.countRefused('overload');
      this.logger.warn({ connection: connection.label }, `closing ${connection.label}: ${this.handshaking.size} connections are already waiting for their hello`);
      return connection.close();
    }
    const framed = new FramedConnection(connection, null, this.limits.maxFrameBytes, this.options.clock);
    const deadline = this.options.timers.schedule(this.limits.handshakeTimeoutMs, () => {
      this.settle(framed);
      this.countRefused('timeout');
      this.logger.debug({ connection: framed.label }, `closing ${framed.label}: no hello within ${this.limits.handshakeTimeoutMs} ms`);
      framed.close();
    });
    this.handshaking.set(framed, deadline);
    framed.listen({
      opened: () => {},
      frame: (payload) => this.onHello(framed, payload),
      ended: (reason, protocolError) => {
        this.settle(framed);
        this.countRefused(protocolError ? 'malformed' : 'closed');
        const level = protocolError ? 'warn' : 'debug';
        this.logger[level]({ connection: framed.label }, `closing ${framed.label} before its hello: ${reason}`);
      },
    });
  }

  private onHello(framed: FramedConnection, payload: Uint8Array): void {
    this.settle(framed);
    let frame;
    try {
      frame = decodeControlFrame(payload);
    } catch (error) {
      if (!(error instanceof MalformedPeerFrame)) throw error;
      return this.refuseStranger(framed, error.message);
    }
    if (frame.kind === 'discover') return this.answerDiscover(framed, frame.peerUrls);
    if (frame.kind !== 'hello') return this.refuseStranger(framed, `its first frame is a ${frame.kind}, not a hello`);
    const hello = frame.handshake;
    const refusal = checkHello(hello, this.context.identity);
    if (refusal !== null) {
      this.countRefused(refusal.reason);
      this.channels.get(hello.from)?.noteRefusedByUs();
      this.logger.warn({ peer: hello.from, connection: framed.label, reason: refusal.reason }, `refusing ${hello.from} (${framed.label}): ${refusal.text}`);
      return framed.close(encodeFrame(encodeRefuse(refusal.reason, refusal.text)));
    }
    const tie = this.channels.get(hello.from)!.offerInbound(framed);
    if (tie !== null) {
      this.countRefused(tie.reason);
      this.logger.debug({ peer: hello.from, connection: framed.label }, `closing the spare connection from ${hello.from}: ${tie.text}`);
      framed.close(encodeFrame(encodeRefuse(tie.reason, tie.text)));
    }
  }

  private answerDiscover(framed: FramedConnection, peerUrls: readonly string[]): void {
    const discovery: Discovery = this.options.discover?.(peerUrls)
      ?? { clusterId: this.options.clusterId, self: null, members: [], text: `${this.self} cannot answer membership questions yet` };
    this.logger.info({ connection: framed.label, peerUrls, found: discovery.self?.node ?? null },
      `a member joining at ${peerUrls.join(',')} asked who it is: ${discovery.self === null ? discovery.text : discovery.self.node}`);
    framed.close(encodeFrame(encodeDiscovered(discovery), this.limits.maxFrameBytes));
  }

  private refuseStranger(framed: FramedConnection, why: string): void {
    this.countRefused('malformed');
    this.logger.warn({ connection: framed.label }, `refusing ${framed.label}: not a Trellis peer (${why})`);
    framed.close();
  }

  /** The connection is no longer waiting for its hello. */
  private settle(framed: FramedConnection): void {
    const deadline = this.handshaking.get(framed);
    if (deadline === undefined) return;
    this.options.timers.cancel(deadline);
    this.handshaking.delete(framed);
  }

  private countRefused(why: string): void {
    this.inboundRefused[why] = (this.inboundRefused[why] ?? 0) + 1;
  }
}
