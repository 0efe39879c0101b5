// Hand-written protobuf encoders for the answers a busy member sends most:
// PutResponse, RangeResponse and WatchResponse with events. The general path
// (a wire object of decimal strings, then protobufjs's fromObject and encode)
// parses every 64-bit field back out of a string; these write the store's
// numbers and bigints straight into the bytes. Field numbers are those of
// etcd's rpc.proto and kv.proto (the ones proto.ts loads), and, as etcd's Go
// encoder does, fields holding their default value are left out. The codec
// tests decode every answer with proto-loader and compare it with the
// general path's.
//
// The result is a serialized message: proto.ts's serializers pass bytes
// through untouched, so a handler may answer with either form.

import type { KeyValue, PutResponse, RangeResponse } from '../../kv/types.js';
import type { WatchEvent } from '../../kv/watch-hub.js';
import { scratchBytes } from '../../scratch-bytes.js';
import type { ResponseHeader } from './backend.js';

const wireVarint = 0;
const wireBytes = 2;

/** Bytes of a varint holding a non-negative safe integer. */
function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

/** A 64-bit field's value as protobuf puts it on the wire: its two's-complement bit pattern, unsigned. */
function wireUint64(value: bigint | number): bigint | number {
  if (typeof value === 'number') return value >= 0 ? value : BigInt.asUintN(64, BigInt(value));
  return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : BigInt.asUintN(64, value);
}

function uint64Bytes(value: bigint | number): number {
  if (typeof value === 'number') return varintBytes(value);
  let bytes = 1;
  while (value >= 0x80n) {
    value >>= 7n;
    bytes++;
  }
  return bytes;
}

/** Bytes of a varint field with its tag (field numbers here all fit one tag byte), or 0 when it holds the default. */
function varintFieldBytes(value: bigint | number): number {
  return value === 0 || value === 0n ? 0 : 1 + uint64Bytes(wireUint64(value));
}

function lengthFieldBytes(length: number): number {
  return 1 + varintBytes(length) + length;
}

class Out {
  pos = 0;
  readonly bytes: Uint8Array;

  /** `scratch`: an answer, which lives only until it is framed and sent; every byte is written (finish() checks). */
  constructor(length: number, scratch = true) {
    this.bytes = scratch ? scratchBytes(length) : new Uint8Array(length);
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.bytes[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.pos++] = value;
  }

  uint64(value: bigint | number): void {
    if (typeof value === 'number') {
      this.varint(value);
      return;
    }
    while (value >= 0x80n) {
      this.bytes[this.pos++] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    this.bytes[this.pos++] = Number(value);
  }

  tag(field: number, wireType: number): void {
    this.bytes[this.pos++] = (field << 3) | wireType;
  }

  varintField(field: number, value: bigint | number): void {
    if (value === 0 || value === 0n) return;
    this.tag(field, wireVarint);
    this.uint64(wireUint64(value));
  }

  bytesField(field: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.tag(field, wireBytes);
    this.varint(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  /** A nested message's tag and length; its fields follow. */
  messageStart(field: number, length: number): void {
    this.tag(field, wireBytes);
    this.varint(length);
  }
}

/**
 * The header's cluster and member ids, encoded: the same on every answer a
 * member sends, and 64-bit, so worth encoding once rather than through
 * bigint arithmetic for each of a fan-out's hundreds of answers.
 */
let encodedIds: { readonly clusterId: bigint; readonly memberId: bigint; readonly bytes: Uint8Array } | null = null;

function idsOf(h: ResponseHeader): Uint8Array {
  if (encodedIds !== null && encodedIds.clusterId === h.clusterId && encodedIds.memberId === h.memberId) return encodedIds.bytes;
  const out = new Out(varintFieldBytes(h.clusterId) + varintFieldBytes(h.memberId), false);
  out.varintField(1, h.clusterId);
  out.varintField(2, h.memberId);
  encodedIds = { clusterId: h.clusterId, memberId: h.memberId, bytes: finish(out) };
  return encodedIds.bytes;
}

function headerBytes(h: ResponseHeader): number {
  return idsOf(h).length + varintFieldBytes(h.revision) + varintFieldBytes(h.raftTerm);
}

function writeHeader(out: Out, h: ResponseHeader, length: number): void {
  out.messageStart(1, length);
  const ids = idsOf(h);
  out.bytes.set(ids, out.pos);
  out.pos += ids.length;
  out.varintField(3, h.revision);
  out.varintField(4, h.raftTerm);
}

function keyValueBytes(kv: KeyValue): number {
  return (kv.key.length === 0 ? 0 : lengthFieldBytes(kv.key.length))
    + varintFieldBytes(kv.createRevision) + varintFieldBytes(kv.modRevision) + varintFieldBytes(kv.version)
    + (kv.value.length === 0 ? 0 : lengthFieldBytes(kv.value.length))
    + varintFieldBytes(kv.lease);
}

function writeKeyValue(out: Out, field: number, kv: KeyValue, length: number): void {
  out.messageStart(field, length);
  out.bytesField(1, kv.key);
  out.varintField(2, kv.createRevision);
  out.varintField(3, kv.modRevision);
  out.varintField(4, kv.version);
  out.bytesField(5, kv.value);
  out.varintField(6, kv.lease);
}

export function encodePutResponse(header: ResponseHeader, body: PutResponse): Uint8Array {
  const h = headerBytes(header);
  const prev = body.prevKv === null ? -1 : keyValueBytes(body.prevKv);
  const out = new Out(lengthFieldBytes(h) + (prev < 0 ? 0 : lengthFieldBytes(prev)));
  writeHeader(out, header, h);
  if (body.prevKv !== null) writeKeyValue(out, 2, body.prevKv, prev);
  return finish(out);
}

export function encodeRangeResponse(header: ResponseHeader, body: RangeResponse): Uint8Array {
  const h = headerBytes(header);
  const sizes = new Array<number>(body.kvs.length);
  let total = lengthFieldBytes(h) + (body.more ? 2 : 0) + varintFieldBytes(body.count);
  for (let i = 0; i < body.kvs.length; i++) {
    sizes[i] = keyValueBytes(body.kvs[i]!);
    total += lengthFieldBytes(sizes[i]!);
  }
  const out = new Out(total);
  writeHeader(out, header, h);
  for (let i = 0; i < body.kvs.length; i++) writeKeyValue(out, 2, body.kvs[i]!, sizes[i]!);
  if (body.more) {
    out.tag(3, wireVarint);
    out.varint(1);
  }
  out.varintField(4, body.count);
  return finish(out);
}

/**
 * Each event's encoded Event message, kept as long as the event: the watch
 * hub hands one event object to every watcher of a change, so a change fanned
 * out to many watchers is encoded once.
 */
const encodedEvents = new WeakMap<WatchEvent, Uint8Array>();

function encodedEvent(event: WatchEvent): Uint8Array {
  let bytes = encodedEvents.get(event);
  if (bytes !== undefined) return bytes;
  const kv = keyValueBytes(event.kv);
  const prev = event.prevKv === null ? -1 : keyValueBytes(event.prevKv);
  // Kept beyond this answer, so its own allocation rather than a pooled slice.
  const out = new Out((event.type === 'delete' ? 2 : 0) + lengthFieldBytes(kv) + (prev < 0 ? 0 : lengthFieldBytes(prev)), false);
  if (event.type === 'delete') {
    out.tag(1, wireVarint);
    out.varint(1);
  }
  writeKeyValue(out, 2, event.kv, kv);
  if (event.prevKv !== null) writeKeyValue(out, 3, event.prevKv, prev);
  bytes = finish(out);
  encodedEvents.set(event, bytes);
  return bytes;
}

/** The WatchResponse that carries events for one watch (created, canceled and progress answers take the general path). */
export function encodeWatchEvents(header: ResponseHeader, watchId: number, events: readonly WatchEvent[]): Uint8Array {
  const h = headerBytes(header);
  const bodies = events.map(encodedEvent);
  let total = lengthFieldBytes(h) + varintFieldBytes(watchId);
  for (const body of bodies) total += lengthFieldBytes(body.length);
  const out = new Out(total);
  writeHeader(out, header, h);
  out.varintField(2, watchId);
  for (const body of bodies) {
    out.messageStart(11, body.length);
    out.bytes.set(body, out.pos);
    out.pos += body.length;
  }
  return finish(out);
}

function finish(out: Out): Uint8Array {
  if (out.pos !== out.bytes.length) throw new Error(`response encoder wrote ${out.pos} bytes of the ${out.bytes.length} it sized`);
  return out.bytes;
}
