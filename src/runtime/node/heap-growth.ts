// How far V8 lets the heap grow past what is live before its next full
// collection. V8 picks the factor itself (up to 4x) from how fast the program
// allocates and collects; under a fast write load a member loaded with a
// million keys (570 MB live) held 860 MB of heap and passed 1 GiB resident.
// A fixed factor of 1.5x (V8's --heap-growing-percent=50) kept it at 900 MiB.
// On a small heap the fixed factor costs: full collections come more often,
// and in the etcd benchmark (10,000 keys) put64's p99 rose 1.39x and its
// throughput fell 6%. So the bound holds only while the heap is large, where
// a few hundred MB of slack is what it saves and a full collection comes
// seldom either way.
//
// Node's own flag wins: a member started with --heap-growing-percent keeps it.

import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { assert } from '../../assert.js';

export interface HeapGrowthOptions {
  /** The bound holds while the heap in use is above this... */
  readonly largeHeapBytes: number;
  /** ...and is lifted again below half of it. */
  readonly growingPercent: number;
  readonly checkIntervalMs: number;
}

export const defaultHeapGrowth: HeapGrowthOptions = { largeHeapBytes: 256 * 1024 * 1024, growingPercent: 50, checkIntervalMs: 1_000 };

export interface HeapGrowthHooks {
  readonly usedHeapBytes: () => number;
  readonly setV8Flags: (flags: string) => void;
  readonly execArgv: readonly string[];
}

const nodeHooks: HeapGrowthHooks = {
  usedHeapBytes: () => getHeapStatistics().used_heap_size,
  setV8Flags: setFlagsFromString,
  execArgv: process.execArgv,
};

export class HeapGrowthBound {
  private bounded = false;
  private readonly userChose: boolean;
  /** Why V8 refused the flag, once it has: the bound is a saving, never a reason for a member to stop. */
  private refusal: string | null = null;

  constructor(private readonly options: HeapGrowthOptions = defaultHeapGrowth, private readonly hooks: HeapGrowthHooks = nodeHooks) {
    assert(options.largeHeapBytes > 0 && options.growingPercent > 0 && options.checkIntervalMs > 0, 'heap growth options must be positive');
    this.userChose = hooks.execArgv.some((arg) => /^--heap[-_]growing[-_]percent/.test(arg));
  }

  /** Whether the bound is in force now. */
  get isBounded(): boolean {
    return this.bounded;
  }

  /** Why the bound could not be set (V8 refused the flag), or null. */
  get refusedBecause(): string | null {
    return this.refusal;
  }

  /** Looks at the heap once: bounds its growth above largeHeapBytes, lifts the bound below half of it. */
  check(): void {
    if (this.userChose || this.refusal !== null) return;
    const used = this.hooks.usedHeapBytes();
    if (!this.bounded && used > this.options.largeHeapBytes) {
      if (this.set(`--heap-growing-percent=${this.options.growingPercent}`)) this.bounded = true;
    } else if (this.bounded && used < this.options.largeHeapBytes / 2) {
      // 0 hands the choice back to V8.
      if (this.set('--heap-growing-percent=0')) this.bounded = false;
    }
  }

  private set(flags: string): boolean {
    try {
      this.hooks.setV8Flags(flags);
      return true;
    } catch (error) {
      this.refusal = `V8 refused ${flags}: ${(error as Error).message}`;
      return false;
    }
  }

  /**
   * Checks every checkIntervalMs until the returned function is called; the timer never keeps the process alive.
   * If V8 refuses the flag, onRefused hears why once and the checks end.
   */
  start(onRefused: (why: string) => void = () => {}): () => void {
    const timer = setInterval(() => {
      this.check();
      if (this.refusal === null) return;
      clearInterval(timer);
      onRefused(this.refusal);
    }, this.options.checkIntervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
