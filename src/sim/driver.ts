// The simulator's run loop: pops events in (time, sequence) order and runs
// each one, and between two events lets every promise continuation the first
// one started run to completion, so node code that awaits its disk behaves
// as it would on a real event loop, one event at a time.
//
// The rule for draining microtasks, and why it stays deterministic:
// - While the loop runs, a V8 promise hook counts every promise created or
//   settled. An event can only leave promise work behind by doing one of the
//   two: calling an async function or then() creates a promise; resolving a
//   promise someone awaits settles one.
// - After an event, if the count did not move, no promise work can be pending
//   (the event created, resolved and resumed nothing), so the next event runs
//   at once, in the same synchronous loop. Pure events (a Raft tick, a message
//   into a core that never awaits) run back to back at full speed.
// - If it moved, the loop settles before the next event: it queues a
//   microtask behind whatever the event queued, and that microtask queues the
//   loop as a process.nextTick callback. V8 drains its microtask queue to the
//   end (including microtasks queued while draining) before Node looks at the
//   nextTick queue, so the loop resumes only when every promise continuation
//   the event set off, however long the chain, has run. (A nextTick queued
//   directly from a nextTick callback would run before the microtasks, hence
//   the microtask first.) This costs two queue operations, not a macrotask.
// - Every eventsPerMacrotask events the loop yields through setImmediate, so
//   Node's own I/O (a trace sink, the test runner's timeouts) is not starved.
// The next event therefore starts only when the previous one's promise work
// has finished, so the order of everything the simulated nodes do depends on
// the event queue alone. Promises outside the simulation (a test runner,
// another world) may move the count; that costs a settle, never the order.
// Not covered: an event whose only deferred work is queueMicrotask or
// process.nextTick with no promise involved (the count does not move), and
// nextTick calls made while settling. Simulated nodes use promises and Timers.

import { promiseHooks } from 'node:v8';
import { assert, InvariantViolation, fail } from '../assert.js';
import { EventQueue, type EventQueueOptions, type SimEvent } from './event-queue.js';

export interface DriverOptions extends EventQueueOptions {
  /** Events run before the loop yields to Node's event loop, so I/O (trace sinks, test timeouts) is not starved. */
  readonly eventsPerMacrotask?: number;
}

let promiseActivity = 0;
let hookUsers = 0;
let stopHook: (() => void) | null = null;
const markPromiseActivity = (): void => {
  promiseActivity++;
};

function acquirePromiseHook(): void {
  if (hookUsers++ === 0) {
    // Typed as Function by @types/node; it is the hook's disable function.
    stopHook = promiseHooks.createHook({ init: markPromiseActivity, settled: markPromiseActivity }) as () => void;
  }
}

function releasePromiseHook(): void {
  assert(hookUsers > 0, 'promise hook released more often than acquired');
  if (--hookUsers === 0) {
    stopHook?.();
    stopHook = null;
  }
}

export class SimDriver {
  private readonly queue: EventQueue;
  private readonly eventsPerMacrotask: number;
  private now = 0;
  private running = false;
  private failure: { error: unknown } | null = null;
  private executed = 0;
  private yields = 0;

  constructor(options: DriverOptions = {}) {
    this.queue = new EventQueue(options);
    this.eventsPerMacrotask = options.eventsPerMacrotask ?? 10_000;
    assert(this.eventsPerMacrotask > 0, 'eventsPerMacrotask must be positive');
  }

  /** Virtual time in ms since the simulation began. */
  nowMs(): number {
    return this.now;
  }

  /** Events run so far (cancelled ones excluded). */
  eventsExecuted(): number {
    return this.executed;
  }

  /** How many times the loop waited for promise work after an event. */
  settleCount(): number {
    return this.yields;
  }

  queuedEvents(): number {
    return this.queue.size;
  }

  at(atMs: number, action: () => void): SimEvent {
    // Tested before the message is formatted: this runs for every event.
    if (!(atMs >= this.now)) throw new InvariantViolation(`cannot schedule in the past: ${atMs} < ${this.now}`);
    return this.queue.push(atMs, action);
  }

  after(delayMs: number, action: () => void): SimEvent {
    if (!(delayMs >= 0 && delayMs !== Infinity)) throw new InvariantViolation(`delay must be finite and non-negative, got ${delayMs}`);
    return this.queue.push(this.now + delayMs, action);
  }

  /** Records the first failure (e.g. an InvariantViolation in node code); the run stops and rejects with it. */
  fail(error: unknown): void {
    if (this.failure === null) this.failure = { error };
  }

  failed(): unknown {
    return this.failure?.error;
  }

  /** Runs every event due within the next `durationMs`, then sets the clock to the end of that window. */
  async runFor(durationMs: number): Promise<void> {
    if (!(durationMs >= 0)) fail(`runFor needs a non-negative duration, got ${durationMs}`);
    const deadlineMs = this.now + durationMs;
    await this.run(() => false, deadlineMs, Infinity);
    this.now = Math.max(this.now, deadlineMs);
  }

  /** Runs until `predicate` holds (checked between events) or `limitMs` of virtual time pass; says whether it held. */
  async runUntil(predicate: () => boolean, options: { readonly limitMs: number }): Promise<boolean> {
    if (!(options.limitMs >= 0)) fail(`runUntil needs a non-negative limitMs, got ${options.limitMs}`);
    const deadlineMs = this.now + options.limitMs;
    const satisfied = await this.run(predicate, deadlineMs, Infinity);
    if (!satisfied) this.now = Math.max(this.now, deadlineMs);
    return satisfied;
  }

  /** Runs the next event and its promise work; false if nothing was queued. */
  async step(): Promise<boolean> {
    const before = this.executed;
    await this.run(() => false, Infinity, 1);
    return this.executed > before;
  }

  private run(stop: () => boolean, deadlineMs: number, maxEvents: number): Promise<boolean> {
    assert(!this.running, 'the simulation is already running: await the previous runFor/runUntil/step first');
    this.running = true;
    acquirePromiseHook();
    return new Promise<boolean>((resolve, reject) => {
      let budget = maxEvents;
      let sinceMacrotask = 0;
      const finish = (satisfied: boolean): void => {
        this.running = false;
        releasePromiseHook();
        if (this.failure !== null) reject(this.failure.error);
        else resolve(satisfied);
      };
      const loop = (): void => {
        try {
          while (true) {
            if (this.failure !== null) return finish(false);
            if (stop()) return finish(true);
            const nextMs = this.queue.peekTimeMs();
            // Event times are finite, so Infinity means the queue is empty.
            if (budget <= 0 || nextMs === Infinity || nextMs > deadlineMs) return finish(false);
            const event = this.queue.pop()!;
            if (event.cancelled) continue;
            this.now = event.atMs;
            budget--;
            this.executed++;
            const activityBefore = promiseActivity;
            event.action();
            if (promiseActivity !== activityBefore) {
              this.yields++;
              queueMicrotask(resumeAfterDrain);
              return;
            }
            if (++sinceMacrotask >= this.eventsPerMacrotask) {
              sinceMacrotask = 0;
              setImmediate(loop);
              return;
            }
          }
        } catch (error) {
          this.fail(error);
          finish(false);
        }
      };
      const resumeAfterDrain = (): void => {
        process.nextTick(loop);
      };
      // Whatever the caller started before running (a client request) settles first.
      queueMicrotask(resumeAfterDrain);
    });
  }
}
