// HeartBeat at the channel level. TCP notices a dead link only when its
// retransmissions give up, minutes later, and after a partition heals it
// resumes only at its next backed-off retransmission, seconds later. So an
// open channel pings when it has sent nothing for a heartbeat interval, and
// a channel that has heard nothing at all (data, ping or pong) for
// deadAfterMs is declared dead, to be closed and redialled.

import type { Clock } from '../runtime/clock.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';

export interface LivenessLimits {
  readonly heartbeatIntervalMs: number;
  readonly deadAfterMs: number;
}

export interface LivenessHooks {
  /** Monotonic time anything last arrived on the channel. */
  lastHeardMs(): number;
  sendPing(nowMs: number): void;
  silent(silentMs: number): void;
}

/** A busy channel still pings every this many intervals, to keep its round-trip time fresh. */
const RTT_SAMPLE_INTERVALS = 10;

export class ChannelLiveness {
  private timer: TimerHandle | null = null;
  private lastTickMs = 0;
  private lastSentMs = 0;
  private lastPingMs = 0;

  constructor(
    private readonly limits: LivenessLimits,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly hooks: LivenessHooks,
  ) {}

  /** The channel just opened: ping at once (a first round-trip sample) and every interval from now. */
  start(): void {
    this.stop();
    const now = this.clock.monotonicNowMs();
    this.lastTickMs = now;
    this.lastSentMs = now;
    this.timer = this.timers.schedule(this.limits.heartbeatIntervalMs, this.tick);
    this.ping(now);
  }

  stop(): void {
    if (this.timer !== null) this.timers.cancel(this.timer);
    this.timer = null;
  }

  noteSent(nowMs: number): void {
    this.lastSentMs = nowMs;
  }

  private readonly tick = (): void => {
    this.timer = null;
    const now = this.clock.monotonicNowMs();
    const lateMs = now - this.lastTickMs - this.limits.heartbeatIntervalMs;
    this.lastTickMs = now;
    // A tick that fires late means this process stalled (GC, a busy CPU): the
    // peer's bytes may be sitting unread, so silence is judged on the next tick.
    const silentMs = now - this.hooks.lastHeardMs();
    if (lateMs < this.limits.heartbeatIntervalMs && silentMs > this.limits.deadAfterMs) {
      this.hooks.silent(silentMs);
      return;
    }
    const idle = now - this.lastSentMs >= this.limits.heartbeatIntervalMs;
    if (idle || now - this.lastPingMs >= RTT_SAMPLE_INTERVALS * this.limits.heartbeatIntervalMs) this.ping(now);
    if (this.timer === null) this.timer = this.timers.schedule(this.limits.heartbeatIntervalMs, this.tick);
  };

  private ping(nowMs: number): void {
    this.lastPingMs = nowMs;
    this.hooks.sendPing(nowMs);
  }
}
