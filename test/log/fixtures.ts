// Shared scenery for the log's stories: a simulated disk, widget counts as
// records, and a logger that remembers what it was told.

import type { Clock } from '../../src/runtime/clock.js';
import type { Logger } from '../../src/runtime/logger.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { SimDisk } from '../../src/sim/sim-disk.js';
import type { LogRecord } from '../../src/log/write-ahead-log.js';

export const WIDGET_COUNT = 1;

export function newDisk(seed = 1): SimDisk {
  return new SimDisk({ random: new SeededRandom(seed) });
}

export function widget(city: string, count: number): { type: number; data: Uint8Array } {
  return { type: WIDGET_COUNT, data: new TextEncoder().encode(`${city}=${count}`) };
}

export function texts(records: readonly LogRecord[]): string[] {
  return records.map((record) => new TextDecoder().decode(record.data));
}

export function indices(records: readonly LogRecord[]): number[] {
  return records.map((record) => record.index);
}

export interface RecordingLogger extends Logger {
  readonly lines: { level: string; message: string; fields: Record<string, unknown> }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export class ManualClock implements Clock {
  constructor(public wallMs = 1_700_000_000_000) {}
  wallNowMs(): number {
    return this.wallMs;
  }
  monotonicNowMs(): number {
    return this.wallMs;
  }
}

/** A hand-cranked event queue for a SimDisk, so a test can stop the world between any two disk operations. */
export class ManualScheduler {
  private readonly events: { atMs: number; seq: number; run: () => void }[] = [];
  private nextSeq = 0;
  nowMs = 0;

  readonly schedule = (delayMs: number, run: () => void): void => {
    this.events.push({ atMs: this.nowMs + delayMs, seq: this.nextSeq++, run });
  };

  get pending(): number {
    return this.events.length;
  }

  /** Runs the next event; false when there is none. */
  step(): boolean {
    if (this.events.length === 0) return false;
    let next = 0;
    for (let i = 1; i < this.events.length; i++) {
      const e = this.events[i]!;
      const n = this.events[next]!;
      if (e.atMs < n.atMs || (e.atMs === n.atMs && e.seq < n.seq)) next = i;
    }
    const [event] = this.events.splice(next, 1);
    this.nowMs = event!.atMs;
    event!.run();
    return true;
  }

  /** Forgets every pending event: what a crash does to operations in flight. */
  clear(): void {
    this.events.length = 0;
  }
}

/** Lets every promise reaction run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs the scheduler until `promise` settles. */
export async function drive<T>(scheduler: ManualScheduler, promise: Promise<T>, maxSteps = 1_000_000): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let steps = 0; ; steps++) {
    await settle();
    if (done) return promise;
    if (steps >= maxSteps || !scheduler.step()) throw new Error(`promise did not settle after ${steps} disk events`);
  }
}
