// Reconnection delays: exponential from minMs up to maxMs, with "equal jitter"
// (each delay drawn from the upper half of its step), so members that lost a
// peer at the same moment do not redial in lockstep, and no delay ever
// exceeds maxMs: a healed link is retried within maxMs at worst.

import type { Random } from '../runtime/random.js';

/** Doubling stops here; 2^20 steps is beyond any sane maxMs/minMs ratio. */
const MAX_DOUBLINGS = 20;

export class Backoff {
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: Random,
  ) {
    if (!(minMs > 0 && maxMs >= minMs)) throw new RangeError(`backoff needs 0 < minMs <= maxMs, got ${minMs} and ${maxMs}`);
  }

  /** The delay before the next attempt; each call counts one more failure. */
  nextDelayMs(): number {
    const ceilingMs = Math.min(this.maxMs, this.minMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, MAX_DOUBLINGS);
    return jittered(ceilingMs, this.random);
  }

  reset(): void {
    this.failures = 0;
  }
}

/** A delay in [ceilingMs / 2, ceilingMs). */
export const jittered = (ceilingMs: number, random: Random): number => ceilingMs / 2 + random.nextFloat() * (ceilingMs / 2);
