import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { NodeId } from '../../ids.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, encodeFrame } from '../../net/frame.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Codec, Transport } from '../transport.js';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface TcpTransportOptions<M> {
  readonly self: NodeId;
  readonly listen: PeerAddress;
  readonly peers: ReadonlyMap<NodeId, PeerAddress>;
  readonly codec: Codec<M>;
  readonly logger?: Logger;
  readonly maxFrameBytes?: number;
  /** Bytes a peer's socket may hold unsent before further messages to it are dropped (Raft retries). */
  readonly maxUnsentBytesPerPeer?: number;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
}

const HELLO_MAGIC = 'trellis-peer-v1';

/**
 * Messages between members over TCP, one outbound connection per peer for
 * sending and the peers' connections for receiving. Every connection opens
 * with a hello frame naming the sender. Delivery is best effort, as the
 * Transport interface promises: a message to a peer that is down, or whose
 * socket already holds maxUnsentBytesPerPeer, is dropped rather than queued
 * without bound.
 */
export class TcpTransport<M> implements Transport<M> {
  readonly self: NodeId;
  private handler: (from: NodeId, message: M) => void = () => {};
  private readonly links = new Map<NodeId, OutboundLink>();
  private readonly inbound = new Set<Socket>();
  private server: Server | null = null;
  private closed = false;
  private readonly logger: Logger;
  private readonly maxFrameBytes: number;
  private readonly maxUnsentBytesPerPeer: number;

  constructor(private readonly options: TcpTransportOptions<M>) {
    this.self = options.self;
    this.logger = options.logger ?? silentLogger;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxUnsentBytesPerPeer = options.maxUnsentBytesPerPeer ?? 8 * 1024 * 1024;
    for (const [peer, address] of options.peers) {
      if (peer !== options.self) this.links.set(peer, new OutboundLink(peer, address, this.helloFrame(), options, this.logger));
    }
  }

  /** Starts listening; rejects with a message naming the address if it is taken. */
  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const where = `${this.options.listen.host}:${this.options.listen.port}`;
        reject(new Error(error.code === 'EADDRINUSE' ? `peer address ${where} is already in use` : `cannot listen on ${where}: ${error.message}`));
      });
      server.listen(this.options.listen.port, this.options.listen.host, () => resolve());
    });
    this.server = server;
  }

  /** The port actually bound (useful when listening on port 0). */
  boundPort(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.listen.port;
  }

  send(to: NodeId, message: M): void {
    if (this.closed) return;
    const link = this.links.get(to);
    if (link === undefined) {
      this.logger.warn({ to }, 'dropping a message to an unknown peer');
      return;
    }
    const frame = encodeFrame(this.options.codec.encode(message), this.maxFrameBytes);
    link.send(frame, this.maxUnsentBytesPerPeer);
  }

  onReceive(handler: (from: NodeId, message: M) => void): void {
    this.handler = handler;
  }

  close(): void {
    this.closed = true;
    for (const link of this.links.values()) link.close();
    for (const socket of this.inbound) socket.destroy();
    this.server?.close();
  }

  private helloFrame(): Uint8Array {
    return encodeFrame(new TextEncoder().encode(`${HELLO_MAGIC} ${this.self}`));
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(this.maxFrameBytes);
    let peer: NodeId | null = null;
    socket.on('data', (chunk: Buffer) => {
      let payloads: Uint8Array[];
      try {
        payloads = decoder.push(chunk);
      } catch (error) {
        this.logger.warn({ peer, error: String(error) }, 'closing a peer connection that sent a bad frame');
        socket.destroy();
        return;
      }
      for (const payload of payloads) {
        if (peer === null) {
          peer = this.parseHello(payload);
          if (peer === null) {
            this.logger.warn({ remote: socket.remoteAddress }, 'refusing a connection without a valid hello');
            socket.destroy();
            return;
          }
          continue;
        }
        let message: M;
        try {
          message = this.options.codec.decode(payload);
        } catch (error) {
          this.logger.warn({ peer, error: String(error) }, 'dropping a malformed message');
          continue;
        }
        this.handler(peer, message);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.inbound.delete(socket));
  }

  private parseHello(payload: Uint8Array): NodeId | null {
    const text = new TextDecoder().decode(payload);
    const [magic, sender] = text.split(' ');
    if (magic !== HELLO_MAGIC || sender === undefined || !this.options.peers.has(sender as NodeId)) return null;
    return sender as NodeId;
  }
}

/** The sending side of one peer: connects lazily, reconnects with exponential backoff. */
class OutboundLink {
  private socket: Socket | null = null;
  private connected = false;
  private reconnectDelayMs: number;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly peer: NodeId,
    private readonly address: PeerAddress,
    private readonly hello: Uint8Array,
    private readonly options: { readonly reconnectMinMs?: number; readonly reconnectMaxMs?: number },
    private readonly logger: Logger,
  ) {
    this.reconnectDelayMs = options.reconnectMinMs ?? 50;
  }

  send(frame: Uint8Array, maxUnsentBytes: number): void {
    if (this.closed) return;
    if (this.socket === null && this.reconnectTimer === null) this.connect();
    if (!this.connected || this.socket === null) return;
    if (this.socket.writableLength + frame.length > maxUnsentBytes) return;
    this.socket.write(frame);
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.socket?.destroy();
  }

  private connect(): void {
    const socket = createConnection({ host: this.address.host, port: this.address.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.connected = true;
      this.reconnectDelayMs = this.options.reconnectMinMs ?? 50;
      socket.write(this.hello);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.connected) this.logger.info({ peer: this.peer }, 'peer connection closed');
      this.connected = false;
      this.socket = null;
      if (this.closed) return;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (!this.closed) this.connect();
      }, this.reconnectDelayMs);
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.options.reconnectMaxMs ?? 1_000);
    });
    // Data never flows back on an outbound link; reading keeps the socket from stalling.
    socket.on('data', () => {});
  }
}
