// One protocol's messages over the simulated wires. Each network draws from
// its own random stream, so adding traffic to one (client requests) does not
// shift the latencies and losses of another (Raft's), and adding a node does
// not shift either.

import { fail } from '../assert.js';
import type { NodeId } from '../ids.js';
import type { Random } from '../runtime/random.js';
import type { Transport } from '../runtime/transport.js';
import type { SimDriver } from './driver.js';
import type { Link, LinkTable } from './links.js';
import type { SimNode } from './sim-node.js';
import type { Trace } from './trace.js';

export interface NetworkOptions<M> {
  /** How a message reads in the trace; called only when tracing is on. */
  readonly describe?: (message: M) => string;
  /**
   * Keep each link first-in first-out, as one TCP connection does (the book's
   * Single-Socket Channel): jitter then never reorders, only reordering faults do.
   */
  readonly fifo?: boolean;
}

export type DropReason = 'closed' | 'unknown-node' | 'partitioned' | 'lost' | 'overflow' | 'sender-crashed' | 'receiver-crashed' | 'no-receiver';

export interface NetworkStats {
  sent: number;
  delivered: number;
  duplicated: number;
  readonly dropped: Record<DropReason, number>;
}

/** What a network needs from its world. */
export interface NetworkHost {
  readonly driver: SimDriver;
  readonly trace: Trace;
  readonly links: LinkTable;
  node(id: NodeId): SimNode | undefined;
}

class SimTransport<M> implements Transport<M> {
  handler: ((from: NodeId, message: M) => void) | null = null;
  closed = false;

  constructor(
    private readonly network: SimNetwork<M>,
    readonly self: NodeId,
    readonly incarnation: number,
  ) {}

  send(to: NodeId, message: M): void {
    this.network.send(this, to, message);
  }

  /** Delivery here never waits for the end of a turn, so there is nothing to hand over early; the network counts the call. */
  flush(): void {
    this.network.flushed(this.self);
  }

  onReceive(handler: (from: NodeId, message: M) => void): void {
    this.handler = handler;
  }

  close(): void {
    this.closed = true;
  }
}

export class SimNetwork<M> {
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    dropped: { closed: 0, 'unknown-node': 0, partitioned: 0, lost: 0, overflow: 0, 'sender-crashed': 0, 'receiver-crashed': 0, 'no-receiver': 0 },
  };
  private readonly describe: (message: M) => string;
  private readonly fifo: boolean;
  private readonly current = new Map<NodeId, SimTransport<M>>();
  private readonly lastArrivalMs = new Map<Link, number>();
  private nextMessageId = 1;
  private readonly flushCounts = new Map<NodeId, number>();

  constructor(
    readonly name: string,
    private readonly host: NetworkHost,
    private readonly random: Random,
    options: NetworkOptions<M> = {},
  ) {
    this.describe = options.describe ?? defaultDescribe;
    this.fifo = options.fifo ?? false;
  }

  /** A transport for the node's current incarnation; it closes when that incarnation crashes. */
  transportFor(node: SimNode): Transport<M> {
    if (node.status === 'crashed') fail(`node ${node.id} is crashed: it cannot open a transport on ${this.name}`);
    const previous = this.current.get(node.id);
    if (previous !== undefined && previous.incarnation === node.incarnation) previous.close();
    const transport = new SimTransport<M>(this, node.id, node.incarnation);
    this.current.set(node.id, transport);
    node.onCrash(() => transport.close());
    return transport;
  }

  /** How many times the node asked its transport to flush (tests check when a node does). */
  flushes(node: NodeId): number {
    return this.flushCounts.get(node) ?? 0;
  }

  flushed(node: NodeId): void {
    this.flushCounts.set(node, this.flushes(node) + 1);
  }

  send(transport: SimTransport<M>, to: NodeId, message: M): void {
    const from = transport.self;
    const id = this.nextMessageId++;
    const trace = this.host.trace;
    this.stats.sent++;
    if (trace.enabled) trace.record(this.host.driver.nowMs(), from, 'send', `${this.name}#${id} ->${to} ${this.describe(message)}`);
    if (transport.closed) return this.drop(from, id, 'closed');
    const destination = this.host.node(to);
    if (destination === undefined) return this.drop(from, id, 'unknown-node');
    const link = this.host.links.link(from, to);
    if (this.host.links.isBlocked(link)) return this.drop(from, id, 'partitioned');
    const toIncarnation = destination.incarnation;
    this.dispatch(link, id, transport.incarnation, toIncarnation, message);
    if (this.random.chance(this.host.links.duplicateProbability(link))) {
      this.stats.duplicated++;
      if (trace.enabled) trace.record(this.host.driver.nowMs(), from, 'dup', `${this.name}#${id} ->${to}`);
      this.dispatch(link, id, transport.incarnation, toIncarnation, message);
    }
  }

  private dispatch(link: Link, id: number, fromIncarnation: number, toIncarnation: number, message: M): void {
    const links = this.host.links;
    if (link.inflight >= links.maxInflightMessagesPerLink) return this.drop(link.from, id, 'overflow');
    if (link.clogged) {
      link.inflight++;
      link.held.push(() => {
        link.inflight--;
        this.dispatch(link, id, fromIncarnation, toIncarnation, message);
      });
      return;
    }
    const latencyMs = links.sampleLatencyMs(link, this.random);
    if (latencyMs === null) return this.drop(link.from, id, 'lost');
    const driver = this.host.driver;
    let arrivalMs = driver.nowMs() + latencyMs;
    if (this.fifo) {
      arrivalMs = Math.max(arrivalMs, this.lastArrivalMs.get(link) ?? 0);
      this.lastArrivalMs.set(link, arrivalMs);
    }
    // Added after the FIFO clamp and not remembered by it, so a held-back message is overtaken.
    arrivalMs += links.sampleReorderDelayMs(link, this.random);
    link.inflight++;
    driver.at(arrivalMs, () => {
      link.inflight--;
      this.arrive(link, id, fromIncarnation, toIncarnation, message);
    });
  }

  private arrive(link: Link, id: number, fromIncarnation: number, toIncarnation: number, message: M): void {
    const links = this.host.links;
    if (links.isBlocked(link)) return this.drop(link.to, id, 'partitioned');
    if (link.clogged) return this.dispatch(link, id, fromIncarnation, toIncarnation, message);
    const sender = this.host.node(link.from);
    if (sender === undefined || !sender.isAlive(fromIncarnation)) return this.drop(link.to, id, 'sender-crashed');
    const receiver = this.host.node(link.to)!;
    const accepted = receiver.runGuarded(toIncarnation, () => this.deliver(link, id, toIncarnation, message));
    if (!accepted) this.drop(link.to, id, 'receiver-crashed');
  }

  private deliver(link: Link, id: number, toIncarnation: number, message: M): void {
    const transport = this.current.get(link.to);
    if (transport === undefined || transport.closed || transport.incarnation !== toIncarnation || transport.handler === null) {
      return this.drop(link.to, id, 'no-receiver');
    }
    this.stats.delivered++;
    const trace = this.host.trace;
    if (trace.enabled) trace.record(this.host.driver.nowMs(), link.to, 'recv', `${this.name}#${id} <-${link.from}`);
    transport.handler(link.from, message);
  }

  private drop(at: NodeId, id: number, reason: DropReason): void {
    this.stats.dropped[reason]++;
    const trace = this.host.trace;
    if (trace.enabled) trace.record(this.host.driver.nowMs(), at, 'drop', `${this.name}#${id} ${reason}`);
  }
}

function defaultDescribe(message: unknown): string {
  if (typeof message === 'object' && message !== null) {
    const type = (message as { type?: unknown }).type;
    return typeof type === 'string' ? type : '{…}';
  }
  return String(message);
}
