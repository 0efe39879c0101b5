// A compact binary encoding of RaftMessage for transports that cross a real
// wire. Layout: one tag byte naming the message type, then its fields in a
// fixed order. Counters (terms, indexes, offsets) are unsigned LEB128
// varints, so the common small values take one or two bytes; strings and
// byte arrays are a varint length followed by the bytes. Decoding checks
// every length against the bytes left and rejects trailing bytes, so a
// corrupt or hostile frame fails with MalformedRaftMessage instead of
// producing a half-read message. Byte fields of a decoded message are views
// into the input: the caller must not reuse the frame's buffer afterwards.

import { logIndex, nodeId, term, type NodeId } from '../ids.js';
import type { Codec } from '../runtime/transport.js';
import type { RaftMessage } from './messages.js';
import type { ClusterConfig, Entry, EntryKind, SnapshotMeta } from './types.js';

export class MalformedRaftMessage extends Error {
  override readonly name = 'MalformedRaftMessage';
  constructor(detail: string, offset: number, totalBytes: number) {
    super(`malformed raft message at byte ${offset} of ${totalBytes}: ${detail}; the frame is dropped`);
  }
}

const messageTypes = [
  'append', 'append-response', 'heartbeat', 'heartbeat-response', 'vote', 'vote-response',
  'snapshot', 'snapshot-response', 'timeout-now', 'read-index', 'read-index-response', 'propose',
] as const satisfies readonly RaftMessage['type'][];
const typeTags = new Map<RaftMessage['type'], number>(messageTypes.map((type, tag) => [type, tag]));
const entryKinds = ['normal', 'noop', 'config'] as const satisfies readonly EntryKind[];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

class Writer {
  private buffer: Uint8Array;
  length = 0;

  constructor(initialBytes: number) {
    this.buffer = new Uint8Array(initialBytes);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value}: counters are non-negative safe integers`);
    this.ensure(8);
    // Arithmetic rather than bit operators: values go up to 2^53, beyond 32-bit shifts.
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  string(value: string): void {
    this.bytes(utf8Encoder.encode(value));
  }

  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

class Reader {
  offset = 0;
  constructor(private readonly input: Uint8Array) {}

  fail(detail: string): never {
    throw new MalformedRaftMessage(detail, this.offset, this.input.length);
  }

  byte(): number {
    if (this.offset >= this.input.length) this.fail('unexpected end of input');
    return this.input[this.offset++]!;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) this.fail('counter beyond 2^53');
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  bytes(): Uint8Array {
    const length = this.varint();
    if (length > this.input.length - this.offset) this.fail(`length ${length} exceeds the ${this.input.length - this.offset} bytes left`);
    const view = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  string(): string {
    const raw = this.bytes();
    try {
      return utf8Decoder.decode(raw);
    } catch {
      return this.fail('invalid UTF-8 in a string');
    }
  }

  bool(): boolean {
    const b = this.byte();
    if (b > 1) this.fail(`boolean byte ${b}`);
    return b === 1;
  }

  /** A count of items that each take at least `minItemBytes`: checked against the input before anything is allocated. */
  count(minItemBytes: number): number {
    const n = this.varint();
    if (n * minItemBytes > this.input.length - this.offset) this.fail(`count ${n} cannot fit in the bytes left`);
    return n;
  }

  end(): void {
    if (this.offset !== this.input.length) this.fail(`${this.input.length - this.offset} trailing bytes`);
  }
}

function writeNodes(w: Writer, nodes: readonly NodeId[]): void {
  w.varint(nodes.length);
  for (const node of nodes) w.string(node);
}

function readNodes(r: Reader): NodeId[] {
  const n = r.count(1);
  const nodes: NodeId[] = [];
  for (let i = 0; i < n; i++) nodes.push(nodeId(r.string()));
  return nodes;
}

function writeMeta(w: Writer, meta: SnapshotMeta): void {
  w.varint(meta.index);
  w.varint(meta.term);
  writeNodes(w, meta.config.voters);
  writeNodes(w, meta.config.outgoingVoters);
  writeNodes(w, meta.config.learners);
}

function readMeta(r: Reader): SnapshotMeta {
  const index = logIndex(r.varint());
  const snapshotTerm = term(r.varint());
  const config: ClusterConfig = { voters: readNodes(r), outgoingVoters: readNodes(r), learners: readNodes(r) };
  return { index, term: snapshotTerm, config };
}

function writeEntries(w: Writer, entries: readonly Entry[]): void {
  w.varint(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    w.varint(entry.index);
    w.varint(entry.term);
    w.byte(entryKinds.indexOf(entry.kind));
    w.bytes(entry.data);
  }
}

function readEntries(r: Reader): Entry[] {
  const n = r.count(4);
  const entries: Entry[] = new Array<Entry>(n);
  for (let i = 0; i < n; i++) {
    const index = logIndex(r.varint());
    const entryTerm = term(r.varint());
    const kindByte = r.byte();
    const kind = entryKinds[kindByte];
    if (kind === undefined) r.fail(`entry kind ${kindByte}`);
    entries[i] = { index, term: entryTerm, kind, data: r.bytes() };
  }
  return entries;
}

function estimateBytes(message: RaftMessage): number {
  if (message.type === 'append') {
    let bytes = 64;
    for (let i = 0; i < message.entries.length; i++) bytes += message.entries[i]!.data.length + 24;
    return bytes;
  }
  if (message.type === 'snapshot') return 128 + message.data.length;
  if (message.type === 'propose') {
    let bytes = 16;
    for (let i = 0; i < message.data.length; i++) bytes += message.data[i]!.length + 4;
    return bytes;
  }
  return 64;
}

/** `leadingByte`, when given, is written before the message (a transport's channel tag, without a copy to prepend it). */
export function encodeRaftMessage(message: RaftMessage, leadingByte?: number): Uint8Array {
  const w = new Writer(estimateBytes(message) + 1);
  if (leadingByte !== undefined) w.byte(leadingByte);
  w.byte(typeTags.get(message.type)!);
  w.varint(message.term);
  switch (message.type) {
    case 'append':
      w.varint(message.prevIndex);
      w.varint(message.prevTerm);
      w.varint(message.commit);
      writeEntries(w, message.entries);
      break;
    case 'append-response':
      w.varint(message.index);
      w.byte(message.reject ? 1 : 0);
      w.varint(message.hintIndex);
      w.varint(message.hintTerm);
      break;
    case 'heartbeat':
      w.varint(message.commit);
      w.varint(message.context);
      break;
    case 'heartbeat-response':
      w.varint(message.context);
      break;
    case 'vote':
      w.byte((message.preVote ? 1 : 0) | (message.transfer ? 2 : 0));
      w.varint(message.lastIndex);
      w.varint(message.lastTerm);
      break;
    case 'vote-response':
      w.byte((message.preVote ? 1 : 0) | (message.granted ? 2 : 0));
      break;
    case 'snapshot':
      writeMeta(w, message.meta);
      w.varint(message.totalBytes);
      w.varint(message.checksum);
      w.varint(message.offset);
      w.bytes(message.data);
      break;
    case 'snapshot-response':
      w.varint(message.snapshotIndex);
      w.varint(message.receivedBytes);
      break;
    case 'timeout-now':
      break;
    case 'read-index':
      w.string(message.requestId);
      break;
    case 'read-index-response':
      w.string(message.requestId);
      w.varint(message.index);
      break;
    case 'propose':
      w.varint(message.data.length);
      for (let i = 0; i < message.data.length; i++) w.bytes(message.data[i]!);
      break;
  }
  return w.result();
}

function flags(r: Reader, allowed: number): number {
  const value = r.byte();
  if ((value & ~allowed) !== 0) r.fail(`flag byte ${value}`);
  return value;
}

export function decodeRaftMessage(bytes: Uint8Array): RaftMessage {
  const r = new Reader(bytes);
  const tag = r.byte();
  const type = messageTypes[tag];
  if (type === undefined) r.fail(`unknown message tag ${tag}`);
  const messageTerm = term(r.varint());
  let message: RaftMessage;
  switch (type) {
    case 'append': {
      const prevIndex = logIndex(r.varint());
      const prevTerm = term(r.varint());
      const commit = logIndex(r.varint());
      message = { type, term: messageTerm, prevIndex, prevTerm, commit, entries: readEntries(r) };
      break;
    }
    case 'append-response': {
      const index = logIndex(r.varint());
      const reject = r.bool();
      message = { type, term: messageTerm, index, reject, hintIndex: logIndex(r.varint()), hintTerm: term(r.varint()) };
      break;
    }
    case 'heartbeat': {
      const commit = logIndex(r.varint());
      message = { type, term: messageTerm, commit, context: r.varint() };
      break;
    }
    case 'heartbeat-response':
      message = { type, term: messageTerm, context: r.varint() };
      break;
    case 'vote': {
      const bits = flags(r, 3);
      const lastIndex = logIndex(r.varint());
      message = { type, term: messageTerm, preVote: (bits & 1) !== 0, transfer: (bits & 2) !== 0, lastIndex, lastTerm: term(r.varint()) };
      break;
    }
    case 'vote-response': {
      const bits = flags(r, 3);
      message = { type, term: messageTerm, preVote: (bits & 1) !== 0, granted: (bits & 2) !== 0 };
      break;
    }
    case 'snapshot': {
      const meta = readMeta(r);
      const totalBytes = r.varint();
      const checksum = r.varint();
      if (checksum > 0xffff_ffff) r.fail(`snapshot checksum ${checksum} is wider than 32 bits`);
      const offset = r.varint();
      const data = r.bytes();
      if (offset + data.length > totalBytes) r.fail(`chunk [${offset}, ${offset + data.length}) beyond the snapshot's ${totalBytes} bytes`);
      message = { type, term: messageTerm, meta, totalBytes, checksum, offset, data };
      break;
    }
    case 'snapshot-response': {
      const snapshotIndex = logIndex(r.varint());
      message = { type, term: messageTerm, snapshotIndex, receivedBytes: r.varint() };
      break;
    }
    case 'timeout-now':
      message = { type, term: messageTerm };
      break;
    case 'read-index':
      message = { type, term: messageTerm, requestId: r.string() };
      break;
    case 'read-index-response': {
      const requestId = r.string();
      message = { type, term: messageTerm, requestId, index: logIndex(r.varint()) };
      break;
    }
    case 'propose': {
      const n = r.count(1);
      const data: Uint8Array[] = new Array<Uint8Array>(n);
      for (let i = 0; i < n; i++) data[i] = r.bytes();
      message = { type, term: messageTerm, data };
      break;
    }
  }
  r.end();
  return message;
}

export const raftMessageCodec: Codec<RaftMessage> = {
  encode: encodeRaftMessage,
  decode: decodeRaftMessage,
};
