// The trace is the simulator's memory of a run: one line per event, so two
// runs of one seed can be compared byte for byte and a failing seed can be
// read. It costs nothing when off: callers test `enabled` before formatting.

import { fail } from '../assert.js';

export interface TraceOptions {
  /** Off by default: the swarm runs seeds untraced and re-runs failing ones with tracing on. */
  readonly enabled?: boolean;
  /** Lines kept in memory; older ones are dropped (they still reach `sink` and the digest). */
  readonly maxLines?: number;
  /** Receives every line, e.g. to stream a long run to a file. */
  readonly sink?: (line: string) => void;
}

export const defaultMaxTraceLines = 100_000;

export class Trace {
  readonly enabled: boolean;
  readonly maxLines: number;
  private readonly sink: ((line: string) => void) | undefined;
  private readonly ring: string[] = [];
  private start = 0;
  private total = 0;
  // FNV-1a over every line ever written, so runs longer than maxLines still compare exactly.
  private hash = 0x811c9dc5;

  constructor(options: TraceOptions = {}) {
    this.enabled = options.enabled ?? false;
    this.maxLines = options.maxLines ?? defaultMaxTraceLines;
    this.sink = options.sink;
    if (!(Number.isInteger(this.maxLines) && this.maxLines > 0)) fail(`maxLines must be a positive integer, got ${this.maxLines}`);
  }

  /** Records one line: virtual time, who, what kind of event, and details. */
  record(timeMs: number, who: string, kind: string, details: string): void {
    if (!this.enabled) return;
    const line = `${formatTimeMs(timeMs)} ${who} ${kind}${details === '' ? '' : ' ' + details}`;
    this.total++;
    let hash = this.hash;
    for (let i = 0; i < line.length; i++) {
      hash ^= line.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    this.hash = Math.imul(hash ^ 0x0a, 0x01000193) >>> 0;
    if (this.ring.length < this.maxLines) {
      this.ring.push(line);
    } else {
      this.ring[this.start] = line;
      this.start = (this.start + 1) % this.maxLines;
    }
    this.sink?.(line);
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }

  /** How many lines were recorded in all, including those no longer kept. */
  lineCount(): number {
    return this.total;
  }

  /** A hash of every line recorded, as 8 hex digits. */
  digest(): string {
    return this.hash.toString(16).padStart(8, '0');
  }
}

/** Fixed-width virtual time, microsecond resolution, so traces sort and diff cleanly. */
export function formatTimeMs(timeMs: number): string {
  return timeMs.toFixed(3).padStart(12, ' ');
}
