// A tiny deterministic world for the channel's timing stories: connections
// in memory, a clock that moves only when told, and one queue of pending
// deliveries. Any link can be cut silently (bytes vanish, nobody is told), and
// the clock can jump without firing timers, as when a process stalls.

import type { Clock } from '../../src/runtime/clock.js';
import type { TimerHandle, Timers } from '../../src/runtime/timers.js';
import type { Connection, ConnectionHandlers, Listener, Network, PeerAddress } from '../../src/net/network.js';

export class MemoryWorld implements Clock, Timers {
  nowMs = 0;
  private nextTimerId = 1;
  private readonly timers = new Map<number, { dueMs: number; callback: () => void }>();
  private readonly tasks: Array<() => void> = [];
  private readonly listeners = new Map<number, (connection: Connection) => void>();
  readonly connections: MemoryConnection[] = [];
  /** When each dial happened, by target port. */
  readonly dialTimes: Array<{ port: number; atMs: number }> = [];
  private nextPort = 7001;
  private partitioned = false;

  wallNowMs(): number {
    return 1_700_000_000_000 + this.nowMs;
  }

  monotonicNowMs(): number {
    return this.nowMs;
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const timerId = this.nextTimerId++;
    this.timers.set(timerId, { dueMs: this.nowMs + Math.max(0, delayMs), callback });
    return { timerId };
  }

  cancel(handle: TimerHandle): void {
    this.timers.delete(handle.timerId);
  }

  /** Runs deliveries and timers in order until ms have passed. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    this.drain();
    for (;;) {
      let next: [number, { dueMs: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].dueMs <= target && (next === undefined || entry[1].dueMs < next[1].dueMs)) next = entry;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].dueMs);
      next[1].callback();
      this.drain();
    }
    this.nowMs = target;
  }

  /** The clock jumps while nothing runs: every timer due meanwhile fires late, afterwards. */
  stall(ms: number): void {
    this.nowMs += ms;
  }

  network(): Network {
    return {
      listen: async (address: PeerAddress, accepted: (connection: Connection) => void): Promise<Listener> => {
        const port = address.port === 0 ? this.nextPort++ : address.port;
        this.listeners.set(port, accepted);
        return { address: { host: address.host, port }, close: () => this.listeners.delete(port) };
      },
      dial: (address: PeerAddress): Connection => this.dial(address),
      afterTurn: (callback: () => void): void => void this.tasks.push(callback),
    };
  }

  /** Every connection open now or opened until heal() drops all bytes for good, without closing: a blackhole. */
  partition(): void {
    this.partitioned = true;
    for (const connection of this.connections) connection.cut = true;
  }

  heal(): void {
    this.partitioned = false;
  }

  openConnections(): MemoryConnection[] {
    return this.connections.filter((c) => !c.closed && c.initiator);
  }

  private dial(address: PeerAddress): Connection {
    this.dialTimes.push({ port: address.port, atMs: this.nowMs });
    const localPort = this.nextPort++;
    const dialler = new MemoryConnection(this.tasks, `127.0.0.1:${localPort} -> 127.0.0.1:${address.port}`, true);
    dialler.cut = this.partitioned;
    this.connections.push(dialler);
    this.tasks.push(() => {
      const accept = this.listeners.get(address.port);
      if (accept === undefined) return dialler.remoteClosed('ECONNREFUSED');
      const acceptor = new MemoryConnection(this.tasks, `127.0.0.1:${address.port} -> 127.0.0.1:${localPort}`, false);
      acceptor.cut = dialler.cut;
      this.connections.push(acceptor);
      dialler.other = acceptor;
      acceptor.other = dialler;
      accept(acceptor);
      dialler.handlers?.opened();
    });
    return dialler;
  }

  private drain(): void {
    for (let steps = 0; this.tasks.length > 0; steps++) {
      if (steps > 1_000_000) throw new Error('memory world did not settle');
      this.tasks.shift()!();
    }
  }
}

export class MemoryConnection implements Connection {
  handlers: ConnectionHandlers | null = null;
  other: MemoryConnection | null = null;
  closed = false;
  cut = false;

  constructor(
    private readonly tasks: Array<() => void>,
    readonly label: string,
    readonly initiator: boolean,
  ) {}

  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }

  write(bytes: Uint8Array, onFlushed: () => void): void {
    if (this.closed) return;
    const copy = bytes.slice();
    this.tasks.push(() => {
      onFlushed();
      const other = this.other;
      if (this.cut || other === null || other.closed) return;
      other.handlers?.data(copy);
    });
  }

  bufferedBytes(): number {
    return 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const other = this.other;
    if (!this.cut && other !== null) this.tasks.push(() => other.remoteClosed('closed by the other side'));
  }

  end(): void {
    this.close();
  }

  remoteClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.closed(reason);
  }
}
