// A small self-describing binary encoding for plain data: null, booleans,
// numbers, bigints, strings, byte arrays, arrays and objects. The Idempotent
// Receiver keeps each request's first result, and those results must travel
// in Raft snapshots; they are plain data of many shapes (etcd's responses),
// so one tagged encoding serves them all. Decoding checks every bound and
// nesting depth, and throws RangeError on malformed input.

import { BinaryReader, BinaryWriter } from '../kv/binary-codec.js';

export type PlainValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly PlainValue[]
  | { readonly [field: string]: PlainValue };

const enum Tag { Undefined, Null, False, True, Number, BigInt, String, Bytes, Array, Object }

/** Deeper values are refused both ways, so recursion stays bounded. */
export const maxValueDepth = 64;
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeValue(value: PlainValue): Uint8Array {
  const writer = new BinaryWriter(256);
  write(writer, value, 0);
  return new Uint8Array(writer.finish());
}

export function decodeValue(bytes: Uint8Array): PlainValue {
  const reader = new BinaryReader(bytes);
  const value = read(reader, 0);
  if (reader.remaining !== 0) throw new RangeError(`${reader.remaining} trailing bytes after a value`);
  return value;
}

/** Writes a value into an existing writer (for callers embedding values in larger records). */
export function writeValue(writer: BinaryWriter, value: PlainValue): void {
  write(writer, value, 0);
}

export function readValue(reader: BinaryReader): PlainValue {
  return read(reader, 0);
}

// Written field by field straight into the writer: a snapshot encodes every
// remembered result of every session, thousands at once, while the member
// waits (Buffer-per-number and TextEncoder-per-name made that 4x slower).
function write(writer: BinaryWriter, value: PlainValue, depth: number): void {
  if (depth > maxValueDepth) throw new RangeError(`value nested deeper than ${maxValueDepth}`);
  if (value === undefined) writer.u8(Tag.Undefined);
  else if (value === null) writer.u8(Tag.Null);
  else if (value === false) writer.u8(Tag.False);
  else if (value === true) writer.u8(Tag.True);
  else if (typeof value === 'number') writer.u8(Tag.Number).f64(value);
  else if (typeof value === 'bigint') writer.u8(Tag.BigInt).utf8(value.toString());
  else if (typeof value === 'string') writer.u8(Tag.String).utf8(value);
  else if (value instanceof Uint8Array) writer.u8(Tag.Bytes).bytes(value);
  else if (Array.isArray(value)) {
    writer.u8(Tag.Array).varuint(value.length);
    for (const item of value as readonly PlainValue[]) write(writer, item, depth + 1);
  } else {
    const object = value as { readonly [field: string]: PlainValue };
    const names = Object.keys(object);
    writer.u8(Tag.Object).varuint(names.length);
    for (const name of names) write(writer.utf8(name), object[name], depth + 1);
  }
}

function read(reader: BinaryReader, depth: number): PlainValue {
  if (depth > maxValueDepth) throw new RangeError(`value nested deeper than ${maxValueDepth}`);
  const tag = reader.u8();
  switch (tag) {
    case Tag.Undefined:
      return undefined;
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Number:
      return Buffer.from(reader.raw(8)).readDoubleLE(0);
    case Tag.BigInt: {
      const text = text_(reader);
      if (!/^-?\d{1,20}$/.test(text)) throw new RangeError(`bad bigint ${JSON.stringify(text.slice(0, 24))}`);
      return BigInt(text);
    }
    case Tag.String:
      return text_(reader);
    case Tag.Bytes:
      return reader.bytes().slice();
    case Tag.Array: {
      const count = reader.varuint();
      if (count > reader.remaining) throw new RangeError(`array of ${count} items cannot fit in ${reader.remaining} bytes`);
      const items: PlainValue[] = [];
      for (let i = 0; i < count; i++) items.push(read(reader, depth + 1));
      return items;
    }
    case Tag.Object: {
      const count = reader.varuint();
      if (count > reader.remaining) throw new RangeError(`object of ${count} fields cannot fit in ${reader.remaining} bytes`);
      const object: Record<string, PlainValue> = {};
      for (let i = 0; i < count; i++) {
        const name = text_(reader);
        if (name === '__proto__') throw new RangeError('field name __proto__ refused');
        object[name] = read(reader, depth + 1);
      }
      return object;
    }
    default:
      throw new RangeError(`unknown value tag ${tag}`);
  }
}

function text_(reader: BinaryReader): string {
  try {
    return fromUtf8.decode(reader.bytes());
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw new RangeError('invalid UTF-8 in a string');
  }
}
