/** An opaque handle for a scheduled callback. */
export interface TimerHandle {
  readonly timerId: number;
}

/**
 * Scheduling as protocol code may do it. Delays are measured on the node's
 * monotonic clock; in the simulator they fire in virtual time, and a crashed
 * node's timers never fire.
 */
export interface Timers {
  schedule(delayMs: number, callback: () => void): TimerHandle;
  /** Cancelling a timer that already fired or was cancelled does nothing. */
  cancel(handle: TimerHandle): void;
}
