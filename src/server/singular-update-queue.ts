// Singular Update Queue: every event that touches a node's Raft core (a peer's
// message, a tick, a client's proposal, a disk completion) goes through this
// one queue and is handled to completion before the next starts, so the core
// is never entered by two events at once and needs no locks.
//
// The queue is bounded. What happens when it is full depends on who is
// asking: a client is refused with an overload error it can act on; a peer's
// Raft message is dropped, which Raft tolerates because it retries; the
// node's own events (ticks, disk completions) are few by construction (one
// tick pending, one persist in flight) and always accepted up to a small
// separate limit, so losing one can never wedge the node.

import { assert } from '../assert.js';

export type EventSource = 'client' | 'peer' | 'internal';

export interface SingularUpdateQueueOptions {
  /** Client and peer events waiting at once. */
  readonly maxQueuedEvents: number;
  /** The node's own events waiting at once; exceeding it is a bug. */
  readonly maxInternalEvents: number;
}

export const defaultQueueOptions: SingularUpdateQueueOptions = { maxQueuedEvents: 4096, maxInternalEvents: 64 };

export interface QueueStatistics {
  readonly handledEvents: number;
  readonly refusedClientEvents: number;
  readonly droppedPeerEvents: number;
}

export class SingularUpdateQueue {
  private readonly events: (() => void)[] = [];
  private head = 0;
  private externalQueued = 0;
  private internalQueued = 0;
  private readonly internalFlags: boolean[] = [];
  private draining = false;
  private closed = false;
  private handled = 0;
  private refused = 0;
  private dropped = 0;

  /**
   * @param onIdle runs whenever the queue has just been emptied, still inside
   *   the queue's turn: the node uses it to collect the Ready that every event
   *   handled so far contributed to, which is what batches requests.
   * @param onFatal receives an exception thrown by a handler; the queue closes
   *   first, because a handler that threw left the core in an unknown state.
   */
  constructor(
    private readonly options: SingularUpdateQueueOptions,
    private readonly onIdle: () => void,
    private readonly onFatal: (error: unknown) => void,
  ) {
    assert(options.maxQueuedEvents > 0 && options.maxInternalEvents > 0, 'queue limits must be positive');
  }

  /** Queues an event; returns false if it was refused (queue full or closed) and will never run. */
  offer(source: EventSource, handler: () => void): boolean {
    if (this.closed) return false;
    if (source === 'internal') {
      assert(this.internalQueued < this.options.maxInternalEvents, 'more internal events queued than maxInternalEvents: the node schedules its own work without bound');
      this.internalQueued++;
    } else {
      if (this.externalQueued >= this.options.maxQueuedEvents) {
        if (source === 'client') this.refused++;
        else this.dropped++;
        return false;
      }
      this.externalQueued++;
    }
    this.events.push(handler);
    this.internalFlags.push(source === 'internal');
    this.drain();
    return true;
  }

  get queuedEvents(): number {
    return this.externalQueued + this.internalQueued;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  statistics(): QueueStatistics {
    return { handledEvents: this.handled, refusedClientEvents: this.refused, droppedPeerEvents: this.dropped };
  }

  /** Refuses every later event and forgets the queued ones; an event being handled finishes. */
  close(): void {
    this.closed = true;
    this.events.length = 0;
    this.internalFlags.length = 0;
    this.head = 0;
    this.externalQueued = 0;
    this.internalQueued = 0;
  }

  // Runs events in the caller's turn, unless an event is already running
  // further up the stack: then the event waits and that outer drain picks it
  // up, which keeps handlers from ever nesting.
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.closed) {
        while (!this.closed && this.head < this.events.length) {
          const handler = this.events[this.head]!;
          const internal = this.internalFlags[this.head]!;
          this.head++;
          if (internal) this.internalQueued--;
          else this.externalQueued--;
          this.handled++;
          handler();
        }
        this.compact();
        if (this.closed) break;
        this.onIdle();
        if (this.head >= this.events.length) break;
      }
    } catch (error) {
      this.close();
      this.onFatal(error);
    } finally {
      this.draining = false;
    }
  }

  private compact(): void {
    if (this.head === this.events.length) {
      this.events.length = 0;
      this.internalFlags.length = 0;
      this.head = 0;
    }
  }
}
