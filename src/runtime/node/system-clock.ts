import type { Clock } from '../clock.js';
import type { TimerHandle, Timers } from '../timers.js';

/** The system clock: wall time from Date, monotonic time from performance.now (never goes back). */
export class SystemClock implements Clock {
  private readonly origin = performance.timeOrigin;

  wallNowMs(): number {
    return Date.now();
  }

  monotonicNowMs(): number {
    return performance.now();
  }

  /** Milliseconds since the epoch at which this process's monotonic clock started; for logs only. */
  originMs(): number {
    return this.origin;
  }
}

interface NodeTimerHandle extends TimerHandle {
  timeout: ReturnType<typeof setTimeout> | null;
}

/** Timers on Node's event loop. Node's setTimeout runs on a monotonic clock, as the interface asks. */
export class SystemTimers implements Timers {
  private nextTimerId = 1;

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const handle: NodeTimerHandle = { timerId: this.nextTimerId++, timeout: null };
    handle.timeout = setTimeout(() => {
      handle.timeout = null;
      callback();
    }, Math.max(0, delayMs));
    return handle;
  }

  cancel(handle: TimerHandle): void {
    const nodeHandle = handle as NodeTimerHandle;
    if (nodeHandle.timeout !== null) {
      clearTimeout(nodeHandle.timeout);
      nodeHandle.timeout = null;
    }
  }
}
