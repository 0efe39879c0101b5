// The memo of the linearization search, with two reductions for operations
// whose outcome is unknown (pending), since timeouts are what make a search
// for a violation explode: each pending operation may be placed or not, so n
// of them double the configurations n times.
//
// Dominance: the search remembers, per (set of completed operations placed,
// model state), the sets of pending operations used to get there. Having used
// fewer pending operations only leaves more choices (a pending operation never
// forces anything, since it never returns), so a configuration whose pending
// set contains one already seen with the same completed set and state cannot
// succeed where that one did not; it is pruned.
//
// Symmetry: two pending operations with equal input are interchangeable once
// both are called, so they are placed only in call order.

import { Bitset } from './bitset.js';
import { describeValue, type Model } from './model.js';
import type { Operation } from './history.js';

interface Seen<State> {
  readonly completed: Uint32Array;
  readonly pending: Uint32Array;
  readonly state: State;
}

export class SearchMemo<State, Input, Output> {
  /** Operation index to its index among pending operations, or -1 for completed ones. */
  private readonly pendingSlot: Int32Array;
  /** For a pending operation: the pending one with equal input called just before it, or -1. */
  private readonly twinBefore: Int32Array;
  private readonly completed: Bitset;
  private readonly pending: Bitset;
  private readonly seen = new Map<number, Seen<State>[]>();
  /** Configurations remembered, for memory accounting by callers. */
  size = 0;

  constructor(
    private readonly model: Model<State, Input, Output>,
    operations: readonly Operation<Input, Output>[],
    isPendingAt: readonly boolean[],
  ) {
    this.pendingSlot = new Int32Array(operations.length).fill(-1);
    this.twinBefore = new Int32Array(operations.length).fill(-1);
    const byCall = operations.map((_, k) => k).filter((k) => isPendingAt[k]);
    byCall.sort((a, b) => operations[a]!.callMs - operations[b]!.callMs || a - b);
    const lastWithInput = new Map<string, number>();
    byCall.forEach((k, slot) => {
      this.pendingSlot[k] = slot;
      const inputKey = describeValue(operations[k]!.input);
      this.twinBefore[k] = lastWithInput.get(inputKey) ?? -1;
      lastWithInput.set(inputKey, k);
    });
    this.completed = new Bitset(operations.length);
    this.pending = new Bitset(byCall.length);
  }

  /** False for a pending operation whose earlier twin is still unplaced. */
  mayPlace(k: number): boolean {
    const twin = this.twinBefore[k]!;
    return twin === -1 || this.pending.has(this.pendingSlot[twin]!);
  }

  add(k: number): void {
    const slot = this.pendingSlot[k]!;
    if (slot === -1) this.completed.add(k);
    else this.pending.add(slot);
  }

  remove(k: number): void {
    const slot = this.pendingSlot[k]!;
    if (slot === -1) this.completed.remove(k);
    else this.pending.remove(slot);
  }

  /** Records the current placed set with this state; false when it is dominated by one seen before. */
  remember(state: State): boolean {
    const key = (this.completed.hash ^ Math.imul(this.model.hash(state), 0x9e3779b1)) >>> 0;
    let bucket = this.seen.get(key);
    if (bucket === undefined) this.seen.set(key, (bucket = []));
    for (const seen of bucket) {
      if (this.completed.equalsWords(seen.completed) && isSubset(seen.pending, this.pending.words) && this.model.equal(seen.state, state)) {
        return false;
      }
    }
    bucket.push({ completed: this.completed.snapshot(), pending: this.pending.snapshot(), state });
    this.size++;
    return true;
  }
}

function isSubset(small: Uint32Array, large: Uint32Array): boolean {
  for (let i = 0; i < small.length; i++) if ((small[i]! & ~large[i]!) !== 0) return false;
  return true;
}
