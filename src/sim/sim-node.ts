// One simulated machine across its lives. The machine (its clock, its disk,
// its name) outlives crashes; each boot is a new incarnation, and everything
// the process set in motion (timers, disk completions, messages it sent or
// that were sent to it) belongs to the incarnation that started it. A guard
// on each such event is what makes "a crashed node's timers never fire" and
// "messages from a previous life are never delivered" hold by construction.

import { InvariantViolation, fail } from '../assert.js';
import type { NodeId } from '../ids.js';
import type { SimDisk } from './sim-disk.js';
import type { SimClock } from './sim-clock.js';
import type { SimDriver } from './driver.js';
import type { SimEvent } from './event-queue.js';
import type { Random } from '../runtime/random.js';

export type SimNodeStatus = 'running' | 'paused' | 'crashed';

/** Called when a node crashes, e.g. to close the transports its process opened. */
export type CrashListener = () => void;

export class SimNode {
  /** Bumped by every boot; 0 until the first. */
  incarnation = 0;
  status: SimNodeStatus = 'crashed';
  /** What boot returned, once it has returned; forgotten at a crash. */
  process: unknown = undefined;
  /** Work that came due while paused, run in order on resume. */
  private deferred: Array<() => void> = [];
  private crashListeners: CrashListener[] = [];

  constructor(
    readonly id: NodeId,
    readonly clock: SimClock,
    readonly disk: SimDisk,
    /** Forked once per boot, so one life's draws never shift the next life's. */
    readonly machineRandom: Random,
    private readonly driver: SimDriver,
    /** Paused work per node is bounded: a node paused forever must not grow without limit. */
    private readonly maxDeferredEvents: number,
  ) {}

  isAlive(incarnation: number): boolean {
    return this.incarnation === incarnation && this.status !== 'crashed';
  }

  /**
   * Runs node work from the given incarnation: dropped if that life is over,
   * held if the node is paused (SIGSTOP: the kernel queues, the process does
   * not run). Returns false if the work was dropped.
   */
  runGuarded(incarnation: number, action: () => unknown): boolean {
    if (!this.isAlive(incarnation)) return false;
    if (this.status === 'paused') {
      if (this.deferred.length >= this.maxDeferredEvents) {
        throw new InvariantViolation(`node ${this.id} is paused with ${this.maxDeferredEvents} events waiting: resume it or crash it`);
      }
      this.deferred.push(() => {
        this.runGuarded(incarnation, action);
      });
      return true;
    }
    this.invoke(action);
    return true;
  }

  /** Schedules node work `virtualDelayMs` from now for the current incarnation. */
  scheduleGuarded(virtualDelayMs: number, action: () => unknown): SimEvent {
    const incarnation = this.incarnation;
    return this.driver.after(virtualDelayMs, () => {
      this.runGuarded(incarnation, action);
    });
  }

  onCrash(listener: CrashListener): void {
    this.crashListeners.push(listener);
  }

  markBooted(): number {
    if (this.status !== 'crashed') fail(`node ${this.id} is ${this.status}: crash it before booting it again`);
    this.incarnation++;
    this.status = 'running';
    this.process = undefined;
    return this.incarnation;
  }

  markCrashed(): void {
    if (this.status === 'crashed') fail(`node ${this.id} is already crashed`);
    this.status = 'crashed';
    this.process = undefined;
    this.deferred = [];
    const listeners = this.crashListeners;
    this.crashListeners = [];
    for (const listener of listeners) listener();
  }

  pause(): void {
    if (this.status !== 'running') fail(`node ${this.id} is ${this.status}: only a running node can be paused`);
    this.status = 'paused';
  }

  /** Resumes a paused node: what came due while it was stopped runs now, late, in order. */
  resume(): void {
    if (this.status !== 'paused') fail(`node ${this.id} is ${this.status}: only a paused node can be resumed`);
    this.status = 'running';
    const deferred = this.deferred;
    this.deferred = [];
    for (const run of deferred) this.driver.after(0, run);
  }

  deferredCount(): number {
    return this.deferred.length;
  }

  private invoke(action: () => unknown): void {
    const result = action();
    // Node callbacks may be async functions: a rejection there is a failing run, not a lost error.
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.driver.fail(error));
    }
  }
}
