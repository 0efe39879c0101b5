// The set of operations linearized so far, as the memo key of the search.
// Besides the words it keeps a Zobrist-style hash (the XOR of a fixed random
// word per member), so adding or removing one operation updates the hash in
// O(1) instead of rehashing n/32 words at every step.

import { fail } from '../assert.js';

export class Bitset {
  readonly words: Uint32Array;
  hash = 0;

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  has(index: number): boolean {
    return (this.words[index >>> 5]! & (1 << (index & 31))) !== 0;
  }

  add(index: number): void {
    if (!(index >= 0 && index < this.size)) fail(`bit ${index} outside a set of ${this.size}`);
    if (this.has(index)) fail(`bit ${index} already set`);
    this.words[index >>> 5]! |= 1 << (index & 31);
    this.hash = (this.hash ^ memberHash(index)) >>> 0;
  }

  remove(index: number): void {
    if (!this.has(index)) fail(`bit ${index} not set`);
    this.words[index >>> 5]! &= ~(1 << (index & 31));
    this.hash = (this.hash ^ memberHash(index)) >>> 0;
  }

  /** The words as they are now, for storing in the memo. */
  snapshot(): Uint32Array {
    return this.words.slice();
  }

  equalsWords(words: Uint32Array): boolean {
    const mine = this.words;
    for (let i = 0; i < mine.length; i++) if (mine[i] !== words[i]) return false;
    return true;
  }
}

/** A fixed pseudo-random word per index (murmur3's finaliser): deterministic, well mixed. */
export function memberHash(index: number): number {
  let h = (index + 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
