// A node's clocks in the simulator. Real machines disagree about the time in
// two ways the book's Clock-Bound Wait and Lease patterns care about: their
// oscillators run at slightly different rates (drift), and their wall clocks
// are set differently and get stepped by NTP (offset, jumps). Monotonic time
// is affected only by drift, so it never goes back; wall time by all three.

import { fail } from '../assert.js';
import type { Clock } from '../runtime/clock.js';

/** Real oscillators drift by tens of ppm; a bound keeps a typo from stopping time. */
export const maxDriftPpm = 500_000;

export interface SimClockOptions {
  /** Virtual time now, from the world's driver. */
  readonly virtualNowMs: () => number;
  /** Wall time at virtual time 0 (the simulated epoch). */
  readonly epochMs: number;
  readonly offsetMs?: number;
  readonly driftPpm?: number;
}

export class SimClock implements Clock {
  private readonly virtualNowMs: () => number;
  private readonly epochMs: number;
  // Monotonic time is piecewise linear in virtual time: it was baseMonotonicMs
  // at baseVirtualMs and has advanced at `rate` since. A drift change starts a
  // new piece where the old one ends, so it never steps.
  private baseVirtualMs: number;
  private baseMonotonicMs: number;
  private rate: number;
  private driftPpmValue: number;
  private offsetMsValue: number;
  private jumpsMs = 0;

  constructor(options: SimClockOptions) {
    this.virtualNowMs = options.virtualNowMs;
    this.epochMs = options.epochMs;
    // A machine added later has been up since the start of the simulation, so
    // with no drift or offset every machine agrees on the time.
    this.baseVirtualMs = this.virtualNowMs();
    this.baseMonotonicMs = this.baseVirtualMs;
    this.driftPpmValue = 0;
    this.rate = 1;
    this.offsetMsValue = options.offsetMs ?? 0;
    this.setDriftPpm(options.driftPpm ?? 0);
  }

  monotonicNowMs(): number {
    return this.baseMonotonicMs + (this.virtualNowMs() - this.baseVirtualMs) * this.rate;
  }

  wallNowMs(): number {
    return this.epochMs + this.monotonicNowMs() + this.offsetMsValue + this.jumpsMs;
  }

  driftPpm(): number {
    return this.driftPpmValue;
  }

  offsetMs(): number {
    return this.offsetMsValue;
  }

  /** Positive drift runs fast: 100 ppm gains 0.1 ms every virtual second. */
  setDriftPpm(driftPpm: number): void {
    if (!(Number.isFinite(driftPpm) && Math.abs(driftPpm) <= maxDriftPpm)) fail(`drift must be within ±${maxDriftPpm} ppm, got ${driftPpm}`);
    const nowVirtualMs = this.virtualNowMs();
    this.baseMonotonicMs = this.monotonicNowMs();
    this.baseVirtualMs = nowVirtualMs;
    this.driftPpmValue = driftPpm;
    this.rate = 1 + driftPpm / 1e6;
  }

  /** A fixed error in how the wall clock was set; monotonic time is unaffected. */
  setOffsetMs(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) fail(`offset must be finite, got ${offsetMs}`);
    this.offsetMsValue = offsetMs;
  }

  /** Steps the wall clock, as NTP or an operator does; negative deltas step it back. */
  jumpWallClock(deltaMs: number): void {
    if (!Number.isFinite(deltaMs)) fail(`jump must be finite, got ${deltaMs}`);
    this.jumpsMs += deltaMs;
  }

  /** Virtual ms that pass while this clock's monotonic time advances by `monotonicMs`. */
  virtualDelayMs(monotonicMs: number): number {
    return monotonicMs / this.rate;
  }
}
