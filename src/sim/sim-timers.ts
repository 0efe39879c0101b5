// Timers for one incarnation of a simulated node. The delay a node asks for
// is measured on its own monotonic clock, so a fast clock (positive drift)
// fires its timers early in virtual time, exactly as an election timeout on a
// fast machine does. A drift change does not move timers already scheduled.

import { InvariantViolation } from '../assert.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { SimEvent } from './event-queue.js';
import type { SimClock } from './sim-clock.js';

interface SimTimerHandle extends TimerHandle {
  event: SimEvent | null;
}

export class SimTimers implements Timers {
  private nextTimerId = 1;

  constructor(
    private readonly clock: SimClock,
    /** Schedules node work for this incarnation; dropped after a crash, held while paused. */
    private readonly scheduleGuarded: (virtualDelayMs: number, action: () => unknown) => SimEvent,
    private readonly onFire?: (timerId: number) => void,
  ) {}

  schedule(delayMs: number, callback: () => void): TimerHandle {
    if (!Number.isFinite(delayMs)) throw new InvariantViolation(`timer delay must be finite, got ${delayMs}`);
    const handle: SimTimerHandle = { timerId: this.nextTimerId++, event: null };
    handle.event = this.scheduleGuarded(this.clock.virtualDelayMs(Math.max(0, delayMs)), () => {
      // Cancelled while deferred by a pause: the event already left the queue.
      if (handle.event === null) return undefined;
      handle.event = null;
      this.onFire?.(handle.timerId);
      return callback();
    });
    return handle;
  }

  cancel(handle: TimerHandle): void {
    const simHandle = handle as SimTimerHandle;
    if (simHandle.event !== null) {
      simHandle.event.cancelled = true;
      simHandle.event = null;
    }
  }
}
