// The log's clock, as a proposer reads it. Entries carry a timestamp so that
// every member forgets an idle client session (Idempotent Receiver) at the
// same entry; the state machine's clock is the newest timestamp applied. A
// member's wall clock can jump an hour ahead, and one entry stamped with it
// would age every session by that hour at once: a request retried a moment
// later would be applied a second time. So proposers never stamp with the
// wall clock: they take the log's clock as last applied and add the time
// their monotonic clock has run since they saw it. A member that has been
// away stamps too low until it applies newer entries, which only makes
// sessions live longer; no one member's clock can make them die early.

import type { Clock } from '../runtime/clock.js';

export class LogClock {
  private anchorLogMs = 0;
  private anchorMonotonicMs: number;

  constructor(private readonly clock: Pick<Clock, 'monotonicNowMs'>) {
    this.anchorMonotonicMs = clock.monotonicNowMs();
  }

  /** The timestamp for an entry proposed now, given the log's clock as applied here. */
  stampMs(appliedLogClockMs: number): number {
    const nowMs = this.clock.monotonicNowMs();
    const estimateMs = this.anchorLogMs + Math.max(0, nowMs - this.anchorMonotonicMs);
    if (appliedLogClockMs <= estimateMs) return Math.floor(estimateMs);
    // The log is ahead of our estimate (we restarted, or another member's clock runs faster): follow it from here.
    this.anchorLogMs = appliedLogClockMs;
    this.anchorMonotonicMs = nowMs;
    return Math.floor(appliedLogClockMs);
  }
}
