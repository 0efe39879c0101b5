// The peer transport on real TCP sockets. src/net holds the channel logic and
// reaches the network only through the Network interface; this file is that
// interface on node:net, plus a factory that wires in the system clock,
// timers and a randomly seeded jitter source.

import { randomInt } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { formatAddress, type Connection, type ConnectionHandlers, type Listener, type Network, type PeerAddress } from '../../net/network.js';
import { PeerTransport, type PeerTransportOptions } from '../../net/peer-transport.js';
import { SeededRandom } from '../random.js';
import { SystemClock, SystemTimers } from './system-clock.js';

export type { PeerAddress } from '../../net/network.js';

/** How long a connection closed with end() may wait for its last bytes to leave before it is destroyed. */
const END_LINGER_MS = 1_000;

export interface TcpNetworkStatistics {
  readonly dials: number;
  readonly accepted: number;
  /** Socket writes: with write coalescing, one per peer per event-loop turn at most. */
  readonly writes: number;
  readonly bytesWritten: number;
  /** Sockets not yet closed, dialled and accepted. */
  readonly openConnections: number;
}

export class TcpNetwork implements Network {
  private readonly counters = { dials: 0, accepted: 0, writes: 0, bytesWritten: 0, openConnections: 0 };

  async listen(address: PeerAddress, accepted: (connection: Connection) => void): Promise<Listener> {
    const server: Server = createServer((socket) => {
      this.counters.accepted++;
      accepted(new TcpConnection(socket, this.counters, null));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const where = formatAddress(address);
        reject(new Error(error.code === 'EADDRINUSE' ? `peer address ${where} is already in use` : `cannot listen for peers on ${where}: ${error.message}`));
      });
      server.listen(address.port, address.host, () => resolve());
    });
    // Errors after listening (e.g. EMFILE on accept) must not crash the process; the accepted socket is simply lost.
    server.on('error', () => {});
    const bound = server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
    return { address: { host: address.host, port }, close: () => server.close() };
  }

  dial(address: PeerAddress): Connection {
    this.counters.dials++;
    return new TcpConnection(createConnection({ host: address.host, port: address.port }), this.counters, address);
  }

  afterTurn(callback: () => void): void {
    setImmediate(callback);
  }

  statistics(): TcpNetworkStatistics {
    return { ...this.counters };
  }
}

class TcpConnection implements Connection {
  private handlers: ConnectionHandlers | null = null;
  private closedLocally = false;
  private lastError: string | null = null;
  private currentLabel: string;

  constructor(
    private readonly socket: Socket,
    private readonly counters: { writes: number; bytesWritten: number; openConnections: number },
    private readonly dialled: PeerAddress | null,
  ) {
    counters.openConnections++;
    socket.setNoDelay(true);
    this.currentLabel = dialled === null ? describe(socket) : `? -> ${formatAddress(dialled)}`;
    socket.on('connect', () => {
      this.currentLabel = describe(socket);
      if (!this.closedLocally) this.handlers?.opened();
    });
    socket.on('data', (chunk: Buffer) => {
      if (!this.closedLocally) this.handlers?.data(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.lastError = error.code ?? error.message;
    });
    socket.on('close', () => {
      counters.openConnections--;
      if (this.closedLocally) return;
      this.closedLocally = true;
      this.handlers?.closed(this.lastError ?? 'closed by the other side');
    });
  }

  /** Fixed once the socket is connected: a closed socket no longer knows its addresses. */
  get label(): string {
    return this.currentLabel;
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }

  write(bytes: Uint8Array, onFlushed: () => void): void {
    if (this.closedLocally) return;
    this.counters.writes++;
    this.counters.bytesWritten += bytes.length;
    this.socket.write(bytes, (error) => {
      if (error === undefined || error === null) onFlushed();
    });
  }

  bufferedBytes(): number {
    return this.socket.writableLength;
  }

  close(): void {
    this.closedLocally = true;
    this.socket.destroy();
  }

  end(): void {
    if (this.closedLocally) return;
    this.closedLocally = true;
    this.socket.end();
    const linger = setTimeout(() => this.socket.destroy(), END_LINGER_MS);
    linger.unref();
    this.socket.once('close', () => clearTimeout(linger));
  }
}

const describe = (socket: Socket): string =>
  `${socket.localAddress ?? '?'}:${socket.localPort ?? '?'} -> ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

export interface TcpPeerTransportOptions<M> extends Omit<PeerTransportOptions<M>, 'network' | 'clock' | 'timers' | 'random'> {
  /** Defaults to a new TcpNetwork; pass one to read its statistics. */
  readonly network?: TcpNetwork;
  /** Seed for reconnect jitter; random by default. */
  readonly seed?: number;
}

/** A PeerTransport over TCP with the system clock and timers. Call start() to listen and dial. */
export function createTcpPeerTransport<M>(options: TcpPeerTransportOptions<M>): PeerTransport<M> {
  return new PeerTransport<M>({
    ...options,
    network: options.network ?? new TcpNetwork(),
    clock: new SystemClock(),
    timers: new SystemTimers(),
    random: new SeededRandom(options.seed ?? randomInt(0x7fff_ffff)),
  });
}
