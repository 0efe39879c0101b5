// A clock and timers that move only when a test says so.

import type { Clock } from '../../src/runtime/clock.js';
import type { TimerHandle, Timers } from '../../src/runtime/timers.js';

export class ManualTime implements Clock, Timers {
  private nowMs = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { dueMs: number; callback: () => void }>();

  wallNowMs(): number {
    return 1_700_000_000_000 + this.nowMs;
  }

  monotonicNowMs(): number {
    return this.nowMs;
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const timerId = this.nextId++;
    this.pending.set(timerId, { dueMs: this.nowMs + Math.max(0, delayMs), callback });
    return { timerId };
  }

  cancel(handle: TimerHandle): void {
    this.pending.delete(handle.timerId);
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      let next: [number, { dueMs: number; callback: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].dueMs <= target && (next === undefined || entry[1].dueMs < next[1].dueMs)) next = entry;
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.nowMs = next[1].dueMs;
      next[1].callback();
    }
    this.nowMs = target;
  }
}
