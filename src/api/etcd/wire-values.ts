// Scalars as proto-loader hands them over (64-bit integers as decimal
// strings, bytes as Buffers, enums as names or, when unknown, numbers) and
// as it takes them back. Every reader here is total: anything that is not
// what etcd's schema promises becomes an EtcdError, never an exception
// from deep inside the store.

import { EtcdError } from './etcd-errors.js';

const empty = new Uint8Array(0);

export function bytesField(value: unknown, field: string): Uint8Array {
  if (value === undefined || value === null) return empty;
  if (value instanceof Uint8Array) return value;
  throw EtcdError.invalidArgument(`field ${field} must be bytes`);
}

export function boolField(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  throw EtcdError.invalidArgument(`field ${field} must be a bool`);
}

export function stringField(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  throw EtcdError.invalidArgument(`field ${field} must be a string`);
}

/** An int64/uint64 field as an exact bigint. */
export function int64Field(value: unknown, field: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  throw EtcdError.invalidArgument(`field ${field} must be a 64-bit integer`);
}

/**
 * A revision, count or limit: int64 on the wire, below 2^53 in Trellis.
 * Values beyond that cannot name anything that exists, so they are clamped
 * to the largest safe integer and fail later as "future revision" would.
 */
export function safeIntField(value: unknown, field: string): number {
  const big = int64Field(value, field);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (big < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(big);
}

/** An enum field: proto-loader gives the name, or the number when the value is unknown to the schema. */
export function enumField<T extends string>(value: unknown, field: string, names: readonly string[], values: readonly T[]): T {
  if (value === undefined || value === null) return values[0]!;
  const index = typeof value === 'number' ? value : names.indexOf(String(value));
  const chosen = values[index];
  if (chosen === undefined) throw EtcdError.invalidArgument(`field ${field} has unknown value ${String(value)}`);
  return chosen;
}

export function listField(value: unknown, field: string, maxItems: number): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw EtcdError.invalidArgument(`field ${field} must be a list`);
  if (value.length > maxItems) throw EtcdError.invalidArgument(`field ${field} has ${value.length} items, more than ${maxItems}`);
  return value;
}

export function messageField(value: unknown, field: string): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)) return value as Record<string, unknown>;
  throw EtcdError.invalidArgument(`field ${field} must be a message`);
}

/** 64-bit values leave as decimal strings, which protobufjs encodes exactly for int64 and uint64 alike. */
export function toWireInt(value: bigint | number): string {
  return typeof value === 'bigint' ? value.toString() : String(Math.trunc(value));
}

/** uint64 ids: the bit pattern of a bigint, read as unsigned, so a negative id survives the round trip. */
export function toWireUint(value: bigint): string {
  return BigInt.asUintN(64, value).toString();
}
