// The client port's front: it owns the listening socket and hands each
// connection to the server that speaks its protocol, as etcd's cmux does.
// HTTP/1 requests (/health, /version, /metrics) go to node:http; HTTP/2 goes
// to grpc-js, as the socket itself when the first request's :authority is
// one Node's HTTP/2 server accepts (nothing in between afterwards), or
// through a RewritingDuplex when it is not (etcd's Go client sends
// "http://host:port" for its Maintenance calls). src/net/hpack-opening.ts
// explains how the front sees a first request at all.
//
// An HTTP/2 connection that makes no request in time is handed over as it
// is, exactly as if the front were not there: the clients known to send a
// refused authority make their request at once.

import { lookup } from 'node:dns/promises';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isAcceptableAuthority } from '../../net/hpack-authority.js';
import { Http2Opening, defaultOpeningLimits, frontSettingsFrame, guessProtocol, protocolGuessBytes, type OpeningLimits } from '../../net/hpack-opening.js';
import { AuthorityRewriter, defaultRewriterLimits, type RewriterLimits } from '../../net/hpack-rewriter.js';
import { silentLogger, type Logger } from '../logger.js';
import { RewritingDuplex } from './client-port-duplex.js';

export interface ClientPortLimits {
  /** From accepting a connection to knowing its protocol; a client silent for longer is disconnected. */
  readonly protocolGuessTimeoutMs: number;
  /** HTTP/2: from the preface to the first request (and the ACK of the front's SETTINGS). */
  readonly firstRequestTimeoutMs: number;
  /**
   * Connections the front holds before handing them over; more are refused
   * until some are handed over. With opening.maxHeldBytes each, this bounds
   * the front's memory (512 x 128 KiB = 64 MiB at most).
   */
  readonly maxOpeningConnections: number;
  readonly opening: OpeningLimits;
  readonly rewriter: RewriterLimits;
}

export const defaultClientPortLimits: ClientPortLimits = {
  protocolGuessTimeoutMs: 10_000,
  firstRequestTimeoutMs: 10_000,
  maxOpeningConnections: 512,
  opening: defaultOpeningLimits,
  rewriter: defaultRewriterLimits,
};

export interface ClientPortRoutes {
  /** An HTTP/1.x connection, its first bytes put back. */
  http1(socket: Socket): void;
  /** An HTTP/2 connection, its first bytes put back: grpc-js's injectConnection. */
  http2(connection: Duplex): void;
}

export interface ClientPortCounters {
  http1: number;
  /** HTTP/2 connections handed over as the socket itself. */
  http2Direct: number;
  /** HTTP/2 connections handed over through the authority rewriter. */
  http2Rewritten: number;
  /** Connections closed by the front: unknown protocol, bad HTTP/2 opening, timeout, too many at once. */
  dropped: number;
}

export interface ClientPort {
  readonly port: number;
  readonly counters: Readonly<ClientPortCounters>;
  /** Stops listening and ends every connection, handed over or not. */
  close(): Promise<void>;
}

export interface ClientPortOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: ClientPortRoutes;
  readonly limits?: Partial<ClientPortLimits>;
  readonly logger?: Logger;
}

export async function openClientPort(options: ClientPortOptions): Promise<ClientPort> {
  const limits = { ...defaultClientPortLimits, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const counters: ClientPortCounters = { http1: 0, http2Direct: 0, http2Rewritten: 0, dropped: 0 };
  const sockets = new Set<Socket>();
  const wrapped = new Set<Duplex>();
  let opening = 0;
  let port = options.port;
  const where = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  const fallbackAuthority = (): string => `${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;

  const accept = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (opening >= limits.maxOpeningConnections) {
      counters.dropped++;
      socket.destroy();
      return;
    }
    opening++;
    socket.setNoDelay(true);
    const shared: FrontShared = { limits, logger, counters, routes: options.routes, wrapped, fallbackAuthority: fallbackAuthority() };
    new ConnectionFront(socket, shared, () => opening--).start();
  };

  // Like grpc-js's bindAsync: every address the host resolves to, on one
  // port; enough if at least one of them can be bound.
  const servers: Server[] = [];
  let refusal: Error | null = null;
  for (const address of await listenAddresses(options.host)) {
    const server = createServer(accept);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) =>
          reject(new Error(`cannot listen for etcd clients on ${where}: ${error.code === 'EADDRINUSE' ? 'the address is already in use' : error.message}`)),
        );
        server.listen(port, address, () => resolve());
      });
    } catch (error) {
      refusal ??= error as Error;
      logger.warn({ address, error: (error as Error).message }, `the client port cannot be opened on ${address}`);
      continue;
    }
    servers.push(server);
    const bound = server.address();
    if (typeof bound === 'object' && bound !== null) port = bound.port;
  }
  if (servers.length === 0) throw refusal ?? new Error(`cannot listen for etcd clients on ${where}: the host resolves to no address`);

  let closing: Promise<void> | null = null;
  return {
    port,
    counters,
    close() {
      closing ??= (async () => {
        const closed = servers.map((server) => new Promise<void>((done) => server.close(() => done())));
        for (const connection of wrapped) connection.destroy();
        for (const socket of sockets) socket.destroy();
        await Promise.all(closed);
      })();
      return closing;
    },
  };
}

/** A hostname listens on every address it resolves to, as grpc-js's bindAsync did. */
async function listenAddresses(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  try {
    const found = await lookup(host, { all: true });
    return [...new Set(found.map((entry) => entry.address))];
  } catch (error) {
    throw new Error(`cannot listen for etcd clients on ${host}: ${(error as Error).message}`);
  }
}

/** What every connection's front shares with the listener. */
interface FrontShared {
  readonly limits: ClientPortLimits;
  readonly logger: Logger;
  readonly counters: ClientPortCounters;
  readonly routes: ClientPortRoutes;
  /** Rewriting streams alive, for close(). */
  readonly wrapped: Set<Duplex>;
  /** What an authority with nothing usable in it becomes: the listener's own address. */
  readonly fallbackAuthority: string;
}

/** One connection from accept to hand-over. */
class ConnectionFront {
  private buffered: Buffer = Buffer.alloc(0);
  private http2: Http2Opening | null = null;
  private timer: NodeJS.Timeout | null = null;
  private settled = false;
  private readonly onData = (chunk: Buffer): void => this.data(chunk);

  private readonly limits: ClientPortLimits;
  private readonly logger: Logger;
  private readonly counters: ClientPortCounters;

  constructor(private readonly socket: Socket, private readonly shared: FrontShared, private readonly released: () => void) {
    this.limits = shared.limits;
    this.logger = shared.logger;
    this.counters = shared.counters;
  }

  start(): void {
    this.socket.on('data', this.onData);
    this.socket.once('close', () => this.settle());
    this.arm(this.limits.protocolGuessTimeoutMs, () => this.drop(`no protocol recognised within ${this.limits.protocolGuessTimeoutMs} ms`));
  }

  private data(chunk: Buffer): void {
    try {
      if (this.http2 !== null) {
        this.openingBytes(chunk);
        return;
      }
      this.buffered = Buffer.concat([this.buffered, chunk]);
      const guess = guessProtocol(this.buffered.subarray(0, protocolGuessBytes));
      if (guess.kind === 'undecided') return;
      if (guess.kind === 'unknown') {
        this.drop(guess.reason);
      } else if (guess.kind === 'http1') {
        this.handOver(this.buffered, () => {
          this.counters.http1++;
          this.shared.routes.http1(this.socket);
          // node:http reads the socket's handle directly; the bytes put back reach it as 'data'.
          this.socket.resume();
        });
      } else {
        this.http2 = new Http2Opening(this.limits.opening);
        this.socket.write(frontSettingsFrame);
        this.arm(this.limits.firstRequestTimeoutMs, () => this.firstRequestLate());
        const held = this.buffered;
        this.buffered = Buffer.alloc(0);
        this.openingBytes(held);
      }
    } catch (error) {
      this.drop((error as Error).message);
    }
  }

  private openingBytes(chunk: Buffer): void {
    const progress = this.http2!.push(chunk);
    for (const reply of progress.replies) this.socket.write(reply);
    if (progress.decided === null) return;
    const { authority, replay } = progress.decided;
    if (authority === null || isAcceptableAuthority(authority)) {
      this.direct(Buffer.from(replay.buffer, replay.byteOffset, replay.byteLength));
    } else {
      this.settle();
      this.socket.off('data', this.onData);
      this.socket.pause();
      this.counters.http2Rewritten++;
      this.logger.debug({ remote: this.socket.remoteAddress, authority }, 'an HTTP/2 client sends an :authority Node would refuse: rewriting its header blocks');
      const rewriter = new AuthorityRewriter(this.shared.fallbackAuthority, this.limits.rewriter);
      const duplex = new RewritingDuplex(this.socket, rewriter, replay, (error) =>
        this.logger.warn({ remote: this.socket.remoteAddress, error: error.message }, 'closing an HTTP/2 connection whose bytes could not be parsed'),
      );
      this.shared.wrapped.add(duplex);
      duplex.once('close', () => this.shared.wrapped.delete(duplex));
      this.shared.routes.http2(duplex);
    }
  }

  private firstRequestLate(): void {
    if (this.http2?.acknowledged) this.direct(Buffer.from(this.http2.replay()));
    else this.drop(`the HTTP/2 client did not acknowledge SETTINGS within ${this.limits.firstRequestTimeoutMs} ms`);
  }

  private direct(replay: Buffer): void {
    this.handOver(replay, () => {
      this.counters.http2Direct++;
      this.shared.routes.http2(this.socket);
    });
  }

  /** Stops reading, puts the bytes read so far back in front of the socket's stream, and hands it over. */
  private handOver(replay: Buffer, route: () => void): void {
    this.settle();
    this.socket.off('data', this.onData);
    this.socket.pause();
    this.socket.unshift(replay);
    route();
  }

  private drop(reason: string): void {
    if (this.settled) return;
    this.settle();
    this.counters.dropped++;
    this.logger.debug({ remote: this.socket.remoteAddress, reason }, 'closing a client connection the front could not hand over');
    this.socket.destroy();
  }

  private arm(delayMs: number, expired: () => void): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(expired, delayMs);
    this.timer.unref();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.released();
  }
}
