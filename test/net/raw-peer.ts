// A hand-driven peer for hostile and slow-peer stories: it speaks the wire
// protocol byte by byte (or not at all), so a test can do what a correct
// member never would.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ClusterId, NodeId } from '../../src/ids.js';
import { FrameDecoder, encodeFrame } from '../../src/net/frame.js';
import type { PeerAddress } from '../../src/net/network.js';
import { PEER_PROTOCOL_VERSION, decodeControlFrame, encodeHandshake, encodePing, type ControlFrame } from '../../src/net/wire.js';

export interface RawSocket {
  readonly socket: Socket;
  /** Every frame payload received, in order. */
  readonly frames: Uint8Array[];
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

export function watch(socket: Socket): RawSocket {
  const frames: Uint8Array[] = [];
  const decoder = new FrameDecoder();
  let closed = false;
  socket.on('data', (chunk) => frames.push(...decoder.push(chunk)));
  socket.on('error', () => {});
  const closedPromise = new Promise<void>((resolve) => socket.on('close', () => { closed = true; resolve(); }));
  return { socket, frames, closed: closedPromise, isClosed: () => closed };
}

export async function rawDial(address: PeerAddress): Promise<RawSocket> {
  const socket = createConnection({ host: address.host, port: address.port });
  const raw = watch(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return raw;
}

export const helloFrame = (cluster: ClusterId, from: NodeId, to: NodeId): Uint8Array =>
  encodeFrame(encodeHandshake('hello', { protocolVersion: PEER_PROTOCOL_VERSION, clusterId: cluster, from, to }));

export const welcomeFrame = (cluster: ClusterId, from: NodeId, to: NodeId): Uint8Array =>
  encodeFrame(encodeHandshake('welcome', { protocolVersion: PEER_PROTOCOL_VERSION, clusterId: cluster, from, to }));

export const control = (payload: Uint8Array): ControlFrame => decodeControlFrame(payload);

/**
 * A member that answers the handshake, then never reads another byte, while
 * pinging every 50 ms so its channel looks alive: the slowest possible peer.
 */
export class NeverReadingPeer {
  private readonly sockets = new Set<Socket>();
  private readonly pingers = new Set<ReturnType<typeof setInterval>>();

  private constructor(private readonly server: Server, readonly address: PeerAddress) {}

  static async start(cluster: ClusterId, self: NodeId): Promise<NeverReadingPeer> {
    let peer: NeverReadingPeer | null = null;
    const server = createServer((socket) => {
      peer!.sockets.add(socket);
      socket.on('error', () => {});
      const decoder = new FrameDecoder();
      const onData = (chunk: Buffer): void => {
        const [hello] = decoder.push(chunk);
        if (hello === undefined) return;
        const frame = decodeControlFrame(hello);
        if (frame.kind !== 'hello') return void socket.destroy();
        socket.off('data', onData);
        socket.pause();
        socket.write(welcomeFrame(cluster, self, frame.handshake.from));
        const pinger = setInterval(() => socket.write(encodeFrame(encodePing('ping', 0))), 50);
        peer!.pingers.add(pinger);
        socket.on('close', () => clearInterval(pinger));
      };
      socket.on('data', onData);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const bound = server.address();
    if (typeof bound !== 'object' || bound === null) throw new Error('never-reading peer did not bind');
    peer = new NeverReadingPeer(server, { host: '127.0.0.1', port: bound.port });
    return peer;
  }

  close(): void {
    for (const pinger of this.pingers) clearInterval(pinger);
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

/** A loopback port nothing listens on (bound, then released). */
export async function deadAddress(): Promise<PeerAddress> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof bound !== 'object' || bound === null) throw new Error('no port');
  return { host: '127.0.0.1', port: bound.port };
}
