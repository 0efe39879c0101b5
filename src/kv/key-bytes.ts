// Keys and values are bytes to clients but are held inside the store as
// one-byte ("latin1") strings: each char is one byte, so JavaScript's string
// comparison is exactly bytes.Compare, and V8 keeps such strings far smaller
// than a Uint8Array with its ArrayBuffer (about 16 bytes of header instead of
// about 200), which is what lets a million keys fit in memory.

export type KeyString = string;

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;
/**
 * Node's native latin1 decoder, reached without allocating a Buffer per call
 * (several times faster for short keys); Buffer.toString is the fallback.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;

export function bytesToKey(bytes: Uint8Array): KeyString {
  if (latin1Slice !== undefined) return latin1Slice.call(bytes, 0, bytes.length);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

export function keyToBytes(key: KeyString): Uint8Array {
  return Buffer.from(key, 'latin1');
}

export function textKey(text: string): KeyString {
  return bytesToKey(new TextEncoder().encode(text));
}

/**
 * A request's [key, rangeEnd) as etcd reads it: no range end means the one key;
 * a range end of "\0" means every key at or above `key`; otherwise the
 * half-open interval (empty when rangeEnd <= key).
 */
export interface KeySpan {
  readonly low: KeyString;
  /** Exclusive upper bound; null means unbounded. */
  readonly high: KeyString | null;
  readonly single: boolean;
}

export function keySpan(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeySpan {
  const low = bytesToKey(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { low, high: null, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { low, high: null, single: false };
  return { low, high: bytesToKey(rangeEnd), single: false };
}

export function spanContains(span: KeySpan, key: KeyString): boolean {
  if (span.single) return key === span.low;
  return key >= span.low && (span.high === null || key < span.high);
}

/** The range end that selects every key starting with `prefix`, as etcd clients compute it. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}
