// HPACK's two primitive types (RFC 7541 section 5): integers with an N-bit
// prefix and string literals, optionally Huffman-coded. Header names and
// values are kept as byte strings (one char per octet, 0-255), so that what
// is decoded re-encodes to exactly the same octets.

import { HpackError } from './hpack-error.js';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './hpack-huffman.js';

/**
 * Integers larger than this are refused: no length, index or table size in a
 * header block legitimately comes near it, and it keeps the arithmetic exact.
 */
export const maxHpackInteger = 2 ** 31 - 1;

/** A read position in one header block. */
export class BlockReader {
  offset = 0;
  constructor(readonly block: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.block.length;
  }

  peek(): number {
    if (this.offset >= this.block.length) throw new HpackError('the header block ends in the middle of a representation');
    return this.block[this.offset]!;
  }

  /** Reads an integer whose first octet keeps its low prefixBits bits (RFC 7541 section 5.1). */
  integer(prefixBits: number): number {
    const mask = (1 << prefixBits) - 1;
    let value = this.peek() & mask;
    this.offset++;
    if (value < mask) return value;
    // Each continuation octet adds 7 bits; five of them already exceed maxHpackInteger.
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.offset >= this.block.length) throw new HpackError('the header block ends in the middle of an integer');
      const octet = this.block[this.offset++]!;
      value += (octet & 0x7f) * 2 ** shift;
      if (value > maxHpackInteger) throw new HpackError(`an integer in the header block exceeds ${maxHpackInteger}`);
      if ((octet & 0x80) === 0) return value;
    }
    throw new HpackError('an integer in the header block has too many continuation octets');
  }

  /** Reads a string literal (RFC 7541 section 5.2) as a byte string. */
  string(): string {
    const huffman = (this.peek() & 0x80) !== 0;
    const length = this.integer(7);
    if (length > this.block.length - this.offset) {
      throw new HpackError(`a string of ${length} bytes runs past the end of the header block (${this.block.length - this.offset} bytes left)`);
    }
    const raw = this.block.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytesToByteString(huffman ? huffmanDecode(raw) : raw);
  }
}

/** An output buffer for header blocks, reusable: reset() starts the next one in the same memory. */
export class BlockWriter {
  private bytes = new Uint8Array(256);
  length = 0;

  reset(): void {
    this.length = 0;
  }

  private room(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** Writes an integer; firstBits are the representation's pattern bits above the prefix. */
  integer(value: number, prefixBits: number, firstBits: number): void {
    if (!Number.isInteger(value) || value < 0 || value > maxHpackInteger) throw new RangeError(`cannot encode ${value} as an HPACK integer`);
    this.room(6);
    const mask = (1 << prefixBits) - 1;
    if (value < mask) {
      this.bytes[this.length++] = firstBits | value;
      return;
    }
    this.bytes[this.length++] = firstBits | mask;
    let rest = value - mask;
    while (rest >= 0x80) {
      this.bytes[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.bytes[this.length++] = rest;
  }

  /** Writes a string literal, Huffman-coded when asked and no longer than the raw octets (as the RFC examples do). */
  string(value: string, huffman: boolean): void {
    if (huffman) {
      const raw = byteStringToBytes(value);
      if (huffmanEncodedLength(raw) <= raw.length) {
        const coded = huffmanEncode(raw);
        this.integer(coded.length, 7, 0x80);
        this.raw(coded);
        return;
      }
    }
    this.integer(value.length, 7, 0);
    this.room(value.length);
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code > 0xff) throw new RangeError(`a header string holds the character U+${code.toString(16)}, which is not one octet`);
      this.bytes[this.length++] = code;
    }
  }

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /** A view of what was written, valid until the next write. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

export function bytesToByteString(bytes: Uint8Array): string {
  let text = '';
  // Chunked so that a long value does not overflow the argument limit.
  for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return text;
}

export function byteStringToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new RangeError(`a header string holds the character U+${code.toString(16)}, which is not one octet`);
    bytes[i] = code;
  }
  return bytes;
}
