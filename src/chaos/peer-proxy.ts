// A userspace TCP proxy in front of one member's peer port. Every member
// advertises its proxy as its peer URL, so all peer traffic into a member
// crosses its proxy. The proxy reads who dialed from the connection's first
// bytes (the system spec knows how), so each direction of each connection
// belongs to one directed link (from -> to), and a link table decides what
// happens to its bytes: pass, cut (discarded silently, like a blackhole),
// delay (held, order kept) or drop (the connection is reset with some
// probability per chunk, as a lossy link ends up doing to a TCP stream).

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Random } from '../runtime/random.js';
import type { PeerIdentification } from './system-spec.js';

export type LinkRule =
  | { readonly kind: 'pass' }
  | { readonly kind: 'cut' }
  | { readonly kind: 'delay'; readonly delayMs: number; readonly jitterMs: number }
  | { readonly kind: 'drop'; readonly probability: number };

export const unknownPeer = '?';
const pass: LinkRule = { kind: 'pass' };

/** Directed link rules between member slots; a missing rule passes. */
export class LinkTable {
  private readonly rules = new Map<string, LinkRule>();

  set(from: string, to: string, rule: LinkRule): void {
    if (rule.kind === 'pass') this.rules.delete(`${from}>${to}`);
    else this.rules.set(`${from}>${to}`, rule);
  }

  /** Bytes to or from a dialer nobody could name are cut only when every link of the member on the other end is cut that way. */
  rule(from: string, to: string, members: readonly string[]): LinkRule {
    if (from !== unknownPeer && to !== unknownPeer) return this.rules.get(`${from}>${to}`) ?? pass;
    const known = from === unknownPeer ? to : from;
    const others = members.filter((m) => m !== known);
    const link = (other: string): string => (from === unknownPeer ? `${other}>${known}` : `${known}>${other}`);
    return others.length > 0 && others.every((m) => this.rules.get(link(m))?.kind === 'cut') ? { kind: 'cut' } : pass;
  }

  clear(): void {
    this.rules.clear();
  }

  describe(): string {
    return [...this.rules].map(([link, rule]) => `${link}:${rule.kind}`).join(' ') || 'all links pass';
  }
}

export interface ProxyStats {
  connections: number;
  identified: number;
  unknown: number;
  bytesCut: number;
  resets: number;
}

export interface PeerProxyOptions {
  /** The member slot behind this proxy. */
  readonly destination: string;
  readonly listenHost: string;
  readonly targetHost: string;
  readonly targetPort: number;
  readonly links: LinkTable;
  readonly identify: (head: Buffer) => PeerIdentification;
  /** Maps what the system calls a member (name or id) to its slot. */
  readonly resolveMember: (token: string) => string | undefined;
  readonly members: () => readonly string[];
  readonly random: Random;
  /** Bytes one direction may hold for delivery before the connection is reset. */
  readonly maxQueuedBytes?: number;
  readonly identifyTimeoutMs?: number;
}

interface Connection {
  readonly downstream: Socket;
  upstream: Socket | null;
  /** What the dialer called itself; resolved to a slot on every chunk, since ids may be learnt after the connection opened. */
  token: string | undefined;
  /** Bytes were discarded, so the stream is corrupt: it is reset when the link heals. */
  tainted: boolean;
}

export class PeerProxy {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  readonly stats: ProxyStats = { connections: 0, identified: 0, unknown: 0, bytesCut: 0, resets: 0 };
  port = 0;

  constructor(private readonly options: PeerProxyOptions) {}

  async start(): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.options.listenHost, () => resolve());
    });
    this.server = server;
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
    return this.port;
  }

  /** Resets every connection that lost bytes to a cut, so the peers reconnect on clean streams. */
  resetTainted(): void {
    for (const connection of this.connections) if (connection.tainted) this.reset(connection);
  }

  /** Resets every connection, e.g. when the links change so established streams pick up the new rules at once. */
  resetAll(): void {
    for (const connection of this.connections) this.reset(connection);
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => (this.server === null ? resolve() : this.server.close(() => resolve())));
    this.server = null;
  }

  private accept(downstream: Socket): void {
    this.stats.connections++;
    const connection: Connection = { downstream, upstream: null, token: undefined, tainted: false };
    this.connections.add(connection);
    downstream.on('error', () => this.reset(connection));
    downstream.on('close', () => this.reset(connection));
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => decide({ kind: 'unknown' }), this.options.identifyTimeoutMs ?? 3_000);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const identification = this.options.identify(head);
      if (identification.kind !== 'need-more') decide(identification);
    };
    const decide = (identification: PeerIdentification): void => {
      clearTimeout(timer);
      downstream.off('data', onData);
      if (downstream.destroyed) return;
      connection.token = identification.kind === 'member' ? identification.token : undefined;
      if (connection.token === undefined) this.stats.unknown++;
      else this.stats.identified++;
      this.connectUpstream(connection, head);
    };
    downstream.on('data', onData);
  }

  private connectUpstream(connection: Connection, head: Buffer): void {
    const upstream = createConnection({ host: this.options.targetHost, port: this.options.targetPort });
    connection.upstream = upstream;
    upstream.on('error', () => this.reset(connection));
    upstream.on('close', () => this.reset(connection));
    upstream.setNoDelay(true);
    connection.downstream.setNoDelay(true);
    const toDestination = this.forwarder(connection, 'in', upstream);
    const toSource = this.forwarder(connection, 'out', connection.downstream);
    if (head.length > 0) toDestination(head);
    connection.downstream.on('data', toDestination);
    upstream.on('data', toSource);
  }

  /** Delivers one direction's chunks under the link's current rule, in order. */
  private forwarder(connection: Connection, direction: 'in' | 'out', target: Socket): (chunk: Buffer) => void {
    const maxQueuedBytes = this.options.maxQueuedBytes ?? 8 * 1024 * 1024;
    const queue: { dueMs: number; chunk: Buffer }[] = [];
    let queuedBytes = 0;
    let timer: NodeJS.Timeout | null = null;
    let lastDueMs = 0;
    const flush = (): void => {
      timer = null;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.dueMs <= now) {
        const { chunk } = queue.shift()!;
        queuedBytes -= chunk.length;
        if (!target.destroyed) target.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(flush, Math.max(1, queue[0]!.dueMs - now));
    };
    return (chunk: Buffer): void => {
      const source = connection.token === undefined ? unknownPeer : (this.options.resolveMember(connection.token) ?? unknownPeer);
      const [from, to] = direction === 'in' ? [source, this.options.destination] : [this.options.destination, source];
      const rule = this.options.links.rule(from, to, this.options.members());
      if (rule.kind === 'cut') {
        connection.tainted = true;
        this.stats.bytesCut += chunk.length;
        return;
      }
      if (rule.kind === 'drop' && this.options.random.chance(rule.probability)) {
        this.reset(connection);
        return;
      }
      const now = performance.now();
      const delayMs = rule.kind === 'delay' ? Math.max(0, rule.delayMs + (this.options.random.nextFloat() * 2 - 1) * rule.jitterMs) : 0;
      if (delayMs === 0 && queue.length === 0) {
        target.write(chunk);
        return;
      }
      // Later chunks never overtake earlier ones: TCP delivers in order however the delay varies.
      lastDueMs = Math.max(lastDueMs, now + delayMs);
      queue.push({ dueMs: lastDueMs, chunk });
      queuedBytes += chunk.length;
      if (queuedBytes > maxQueuedBytes) {
        this.reset(connection);
        return;
      }
      timer ??= setTimeout(flush, Math.max(1, lastDueMs - now));
    };
  }

  private reset(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    this.stats.resets++;
    connection.downstream.destroy();
    connection.upstream?.destroy();
  }
}
