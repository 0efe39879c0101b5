/**
 * Time as protocol code may see it. Protocol code never reads the system clock
 * itself: the real runtime passes the system clock, the simulator a virtual one
 * with per-node offset, drift and jumps.
 */
export interface Clock {
  /** Wall-clock time in ms since the Unix epoch. It can jump forward or back. */
  wallNowMs(): number;
  /** Monotonic time in ms from an arbitrary origin. It never goes back; use it for timeouts and leases. */
  monotonicNowMs(): number;
}
