// The simulator's one source of "what happens next": a binary min-heap of
// events ordered by (virtual time, sequence number). The sequence number is
// handed out in scheduling order, so two events due at the same instant run
// in the order they were scheduled, and one seed gives one order.

import { InvariantViolation, fail } from '../assert.js';

/** A scheduled action. `cancelled` events stay in the heap and are skipped when they surface. */
export interface SimEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly action: () => void;
  cancelled: boolean;
}

export interface EventQueueOptions {
  /** Events waiting in the heap, cancelled ones included; a runaway schedule is a bug, not a workload. */
  readonly maxQueuedEvents?: number;
}

export const defaultMaxQueuedEvents = 1_000_000;

export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private nextSeq = 0;
  readonly maxQueuedEvents: number;

  constructor(options: EventQueueOptions = {}) {
    this.maxQueuedEvents = options.maxQueuedEvents ?? defaultMaxQueuedEvents;
    if (!(Number.isInteger(this.maxQueuedEvents) && this.maxQueuedEvents > 0)) fail(`maxQueuedEvents must be a positive integer, got ${this.maxQueuedEvents}`);
  }

  get size(): number {
    return this.heap.length;
  }

  push(atMs: number, action: () => void): SimEvent {
    // Tested before any message is formatted: this runs for every event.
    if (!Number.isFinite(atMs)) throw new InvariantViolation(`event time must be finite, got ${atMs}`);
    if (this.heap.length >= this.maxQueuedEvents) {
      throw new InvariantViolation(`event queue is full (${this.maxQueuedEvents} events): something schedules without bound`);
    }
    const event: SimEvent = { atMs, seq: this.nextSeq++, action, cancelled: false };
    const heap = this.heap;
    let index = heap.length;
    heap.push(event);
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(event, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
    return event;
  }

  /** The time of the earliest event, cancelled or not; Infinity when empty. */
  peekTimeMs(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!.atMs;
  }

  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      // Sift the last element down from the root.
      const length = heap.length;
      let index = 0;
      while (true) {
        const left = 2 * index + 1;
        if (left >= length) break;
        const right = left + 1;
        let child = left;
        if (right < length && before(heap[right]!, heap[left]!)) child = right;
        if (!before(heap[child]!, last)) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
