// Little binary writer and reader shared by the command encoding and the
// snapshot format: LEB128 unsigned varints for counts and revisions (below
// 2^53), fixed 8-byte signed integers for lease ids and TTLs (int64 in etcd),
// length-prefixed byte strings. The reader checks every bound and throws
// RangeError on malformed input; callers turn that into their own error.

import { fail } from '../assert.js';

type Latin1Write = (this: Buffer, value: string, offset: number, length: number) => number;
type Latin1Slice = (this: Buffer, start: number, end: number) => string;
/**
 * Node's native latin1 codecs, called without Buffer.write's and toString's
 * argument checks: a snapshot writes and reads two strings per key, a million
 * keys at a time. The public methods are the fallback.
 */
const latin1Write = (Buffer.prototype as unknown as { latin1Write?: Latin1Write }).latin1Write;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;

export class BinaryWriter {
  private buffer: Buffer;
  private position = 0;

  constructor(initialBytes = 256) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.position;
  }

  private ensure(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.position + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buffer[this.position++] = value;
    return this;
  }

  u32(value: number): this {
    this.ensure(4);
    this.buffer.writeUInt32LE(value >>> 0, this.position);
    this.position += 4;
    return this;
  }

  varuint(value: number): this {
    if (!(Number.isSafeInteger(value) && value >= 0)) fail(`varuint needs a safe non-negative integer, got ${value}`);
    this.ensure(8);
    while (value >= 0x80) {
      this.buffer[this.position++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.position++] = value;
    return this;
  }

  i64(value: bigint): this {
    this.ensure(8);
    this.buffer.writeBigInt64LE(BigInt.asIntN(64, value), this.position);
    this.position += 8;
    return this;
  }

  bool(value: boolean | undefined): this {
    return this.u8(value === true ? 1 : 0);
  }

  bytes(value: Uint8Array): this {
    this.varuint(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.position);
    this.position += value.length;
    return this;
  }

  /** A string written as UTF-8, length-prefixed (its byte length, then its bytes). */
  utf8(value: string): this {
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.varuint(byteLength);
    this.ensure(byteLength);
    this.position += this.buffer.write(value, this.position, byteLength, 'utf8');
    return this;
  }

  /** A number as its 8 bytes of IEEE 754, little-endian. */
  f64(value: number): this {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.position);
    this.position += 8;
    return this;
  }

  /** A one-byte string written as its bytes, length-prefixed. */
  latin1(value: string): this {
    this.varuint(value.length);
    this.ensure(value.length);
    this.position +=
      latin1Write !== undefined ? latin1Write.call(this.buffer, value, this.position, value.length) : this.buffer.write(value, this.position, 'latin1');
    return this;
  }

  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buffer.set(value, this.position);
    this.position += value.length;
    return this;
  }

  /** Starts over at the beginning of the same buffer: views finish() handed out see the new bytes. */
  reset(): void {
    this.position = 0;
  }

  /** The bytes written so far, as a view of the writer's buffer. */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.position);
  }
}

export class BinaryReader {
  private position = 0;
  private readonly view: Buffer;

  constructor(bytes: Uint8Array) {
    this.view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  get remaining(): number {
    return this.view.length - this.position;
  }

  get offset(): number {
    return this.position;
  }

  private need(bytes: number): void {
    if (bytes > this.remaining) throw new RangeError(`truncated: need ${bytes} bytes at offset ${this.position}, ${this.remaining} left`);
  }

  u8(): number {
    this.need(1);
    return this.view[this.position++]!;
  }

  u32(): number {
    this.need(4);
    const value = this.view.readUInt32LE(this.position);
    this.position += 4;
    return value;
  }

  varuint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new RangeError(`varuint overflows at offset ${this.position}`);
        return value;
      }
      scale *= 0x80;
    }
    throw new RangeError(`varuint too long at offset ${this.position}`);
  }

  i64(): bigint {
    this.need(8);
    const value = this.view.readBigInt64LE(this.position);
    this.position += 8;
    return value;
  }

  bool(): boolean {
    const value = this.u8();
    if (value > 1) throw new RangeError(`bad boolean ${value} at offset ${this.position - 1}`);
    return value === 1;
  }

  /** A view into the input, not a copy: copy it before keeping it beyond the input's life. */
  bytes(): Uint8Array {
    const length = this.varuint();
    this.need(length);
    const value = new Uint8Array(this.view.buffer, this.view.byteOffset + this.position, length);
    this.position += length;
    return value;
  }

  latin1(): string {
    const length = this.varuint();
    this.need(length);
    const end = this.position + length;
    const value = latin1Slice !== undefined ? latin1Slice.call(this.view, this.position, end) : this.view.toString('latin1', this.position, end);
    this.position += length;
    return value;
  }

  raw(length: number): Uint8Array {
    this.need(length);
    const value = this.view.subarray(this.position, this.position + length);
    this.position += length;
    return value;
  }
}
