// HPACK's two index tables (RFC 7541 section 2.3): the static table of 61
// common header fields (Appendix A) and one connection direction's dynamic
// table, a FIFO of recently indexed fields bounded in size.

import { HpackError } from './hpack-error.js';

export interface HeaderField {
  /** Byte strings: one char per octet. */
  readonly name: string;
  readonly value: string;
  /** Sent as "never indexed" (RFC 7541 section 6.2.3): whoever re-encodes it must keep it so. */
  readonly sensitive?: boolean;
}

const pairs: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''], ['access-control-allow-origin', ''],
  ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''], ['content-disposition', ''],
  ['content-encoding', ''], ['content-language', ''], ['content-length', ''], ['content-location', ''], ['content-range', ''],
  ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''],
  ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/** Index 1 is staticTable[0]. */
export const staticTable: readonly HeaderField[] = pairs.map(([name, value]) => ({ name, value }));

/** An entry's size counts 32 octets of overhead besides its name and value (RFC 7541 section 4.1). */
export const entryOverheadBytes = 32;

export function entrySize(field: HeaderField): number {
  return field.name.length + field.value.length + entryOverheadBytes;
}

/**
 * The dynamic table: newest entry first (index staticTable.length + 1).
 * Entries are kept in a ring so that eviction from the old end is O(1); the
 * ring holds at most maxSizeBytes / 32 entries, so it is bounded too.
 */
export class DynamicTable {
  private ring: (HeaderField | undefined)[] = new Array<HeaderField | undefined>(16);
  /** Position of the oldest entry. */
  private head = 0;
  private count = 0;
  private sizeBytes = 0;

  constructor(private maxSizeBytes: number) {}

  get length(): number {
    return this.count;
  }

  get size(): number {
    return this.sizeBytes;
  }

  get maxSize(): number {
    return this.maxSizeBytes;
  }

  /** 1 is the newest entry. */
  get(dynamicIndex: number): HeaderField {
    if (dynamicIndex < 1 || dynamicIndex > this.count) {
      throw new HpackError(`dynamic table index ${dynamicIndex} is out of range: the table holds ${this.count} entries`);
    }
    return this.ring[(this.head + this.count - dynamicIndex) % this.ring.length]!;
  }

  /** Adds a field, evicting the oldest entries to make room; a field larger than the whole table empties it (section 4.4). */
  add(field: HeaderField): void {
    const size = entrySize(field);
    while (this.count > 0 && this.sizeBytes + size > this.maxSizeBytes) this.evictOldest();
    if (size > this.maxSizeBytes) return;
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) % this.ring.length] = field;
    this.count++;
    this.sizeBytes += size;
  }

  resize(maxSizeBytes: number): void {
    this.maxSizeBytes = maxSizeBytes;
    while (this.sizeBytes > this.maxSizeBytes) this.evictOldest();
  }

  /** Newest first, for tests and diagnostics. */
  entries(): HeaderField[] {
    return Array.from({ length: this.count }, (_, i) => this.get(i + 1));
  }

  private evictOldest(): void {
    this.sizeBytes -= entrySize(this.ring[this.head]!);
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
  }

  private grow(): void {
    const bigger = new Array<HeaderField | undefined>(this.ring.length * 2);
    for (let i = 0; i < this.count; i++) bigger[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = bigger;
    this.head = 0;
  }
}
