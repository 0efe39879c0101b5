// The lean HTTP/2 server session against the rules of RFC 9113 that a gRPC
// server lives by: alice's request is answered in one write; a header block
// split over CONTINUATION frames decodes; answers wait for the client's
// windows and resume on WINDOW_UPDATE; too many open requests are refused;
// PING and SETTINGS are acknowledged; a client that breaks flow control or
// framing gets RST_STREAM or GOAWAY with the right code, never a crash.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { H2Session, defaultH2SessionLimits, type H2SessionLimits, type H2Stream } from '../../src/net/h2-session.js';
import { H2Error, H2Setting, settingsFrame, windowUpdateFrame } from '../../src/net/h2-frames-out.js';
import { HpackDecoder } from '../../src/net/hpack-decoder.js';
import { HpackEncoder } from '../../src/net/hpack-encoder.js';
import { FrameFlag, FrameType, clientPreface, encodeFrame, readFrameHeader } from '../../src/net/hpack-frames.js';
import type { HeaderField } from '../../src/net/hpack-tables.js';

interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Uint8Array;
}

/** A client's end of one session: frames in, frames out, and what the server application heard. */
class Client {
  readonly writes: Uint8Array[] = [];
  readonly requests: { stream: H2Stream; fields: readonly HeaderField[]; body: number[]; ended: boolean; reset: number | null }[] = [];
  closedReason: string | null = null;
  congested = false;
  readonly session: H2Session;
  private readonly encoder = new HpackEncoder();
  private readonly decoder = new HpackDecoder({ maxTableSizeBytes: 4096, maxHeaderListBytes: 65536 });

  constructor(limits: Partial<H2SessionLimits> = {}) {
    const sink = { write: (bytes: Uint8Array) => this.writes.push(bytes), congested: false, close: () => {} };
    Object.defineProperty(sink, 'congested', { get: () => this.congested });
    this.session = new H2Session({ ...defaultH2SessionLimits, ...limits }, sink, {
      request: (stream, fields) => {
        const entry = { stream, fields, body: [] as number[], ended: false, reset: null as number | null };
        this.requests.push(entry);
        stream.listener = {
          onData: (bytes) => entry.body.push(...bytes),
          onEnd: () => (entry.ended = true),
          onReset: (code) => (entry.reset = code),
          onDrained: () => {},
        };
      },
      closed: (reason) => (this.closedReason = reason),
    });
    this.session.start();
  }

  open(settings: [number, number][] = []): this {
    this.send(Buffer.concat([clientPreface, settingsFrame(settings)]));
    return this;
  }

  send(bytes: Uint8Array): void {
    this.session.receive(bytes);
  }

  headers(streamId: number, path: string, endStream: boolean): Uint8Array {
    const block = this.encoder.encode([
      { name: ':method', value: 'POST' }, { name: ':scheme', value: 'http' }, { name: ':path', value: path },
      { name: ':authority', value: 'jupiter:2379' }, { name: 'content-type', value: 'application/grpc' },
    ]);
    return encodeFrame(FrameType.headers, FrameFlag.endHeaders | (endStream ? FrameFlag.endStream : 0), streamId, block);
  }

  /** Every frame the server wrote so far, taken apart; clears the record. */
  frames(): Frame[] {
    const all = Buffer.concat(this.writes);
    this.writes.length = 0;
    const frames: Frame[] = [];
    for (let at = 0; at < all.length;) {
      const header = readFrameHeader(all, at);
      frames.push({ type: header.type, flags: header.flags, streamId: header.streamId, payload: all.subarray(at + 9, at + 9 + header.length) });
      at += 9 + header.length;
    }
    return frames;
  }

  decode(frame: Frame): HeaderField[] {
    return this.decoder.decode(frame.payload);
  }
}

const data = (streamId: number, bytes: Uint8Array, endStream: boolean): Uint8Array => encodeFrame(FrameType.data, endStream ? FrameFlag.endStream : 0, streamId, bytes);
const u32 = (payload: Uint8Array): number => Buffer.from(payload).readUInt32BE(0);
const goawayCode = (frames: Frame[]): number | undefined => {
  const goaway = frames.find((f) => f.type === FrameType.goaway);
  return goaway === undefined ? undefined : u32(goaway.payload.subarray(4));
};

test('alice\'s request for boston is heard whole, and her answer goes out as headers, data and trailers in one write', () => {
  const alice = new Client().open();
  alice.frames();
  alice.send(Buffer.concat([alice.headers(1, '/etcdserverpb.KV/Range', false), data(1, Buffer.from('boston'), true)]));
  const [request] = alice.requests;
  assert.equal(request!.fields.find((f) => f.name === ':path')!.value, '/etcdserverpb.KV/Range');
  assert.equal(Buffer.from(request!.body).toString(), 'boston');
  assert.equal(request!.ended, true);
  const answerHeaders = new HpackEncoder().encode([{ name: ':status', value: '200' }]);
  const trailers = new HpackEncoder().encode([{ name: 'grpc-status', value: '0' }]);
  alice.session.respond(request!.stream, answerHeaders, Buffer.from('10 widgets'), trailers);
  assert.equal(alice.writes.length, 1, 'one write');
  const frames = alice.frames();
  assert.deepEqual(frames.map((f) => [f.type, f.flags & FrameFlag.endStream]), [[FrameType.headers, 0], [FrameType.data, 0], [FrameType.headers, FrameFlag.endStream]]);
  assert.deepEqual(alice.decode(frames[0]!), [{ name: ':status', value: '200' }]);
  assert.equal(Buffer.from(frames[1]!.payload).toString(), '10 widgets');
  assert.equal(alice.session.openStreams, 0);
});

test('a header block split over CONTINUATION frames, fed one byte at a time, decodes as one', () => {
  const bob = new Client().open();
  const whole = bob.headers(3, '/etcdserverpb.KV/Put', true);
  const block = whole.subarray(9);
  const first = encodeFrame(FrameType.headers, FrameFlag.endStream, 3, block.subarray(0, 5));
  const second = encodeFrame(FrameType.continuation, 0, 3, block.subarray(5, 9));
  const third = encodeFrame(FrameType.continuation, FrameFlag.endHeaders, 3, block.subarray(9));
  for (const byte of Buffer.concat([first, second, third])) bob.send(Uint8Array.of(byte));
  assert.equal(bob.requests.length, 1);
  assert.equal(bob.requests[0]!.fields.find((f) => f.name === ':path')!.value, '/etcdserverpb.KV/Put');
  assert.equal(bob.requests[0]!.ended, true);
});

test('an answer larger than the client\'s stream window waits for its WINDOW_UPDATE, and the trailers wait behind it', () => {
  const alice = new Client().open([[H2Setting.initialWindowSize, 10]]);
  alice.send(alice.headers(1, '/etcdserverpb.Maintenance/Snapshot', true));
  alice.frames();
  const stream = alice.requests[0]!.stream;
  alice.session.sendHeaders(stream, new HpackEncoder().encode([{ name: ':status', value: '200' }]));
  alice.session.sendData(stream, new Uint8Array(25).fill(7));
  alice.session.end(stream, new HpackEncoder().encode([{ name: 'grpc-status', value: '0' }]));
  let frames = alice.frames();
  assert.deepEqual(frames.map((f) => [f.type, f.payload.length]).slice(1), [[FrameType.data, 10]]);
  alice.send(windowUpdateFrame(1, 10));
  frames = alice.frames();
  assert.deepEqual(frames.map((f) => [f.type, f.payload.length]), [[FrameType.data, 10]]);
  alice.send(windowUpdateFrame(1, 100));
  frames = alice.frames();
  assert.deepEqual(frames.map((f) => f.type), [FrameType.data, FrameType.headers]);
  assert.equal(frames[0]!.payload.length, 5);
  assert.equal(frames[1]!.flags & FrameFlag.endStream, FrameFlag.endStream);
  assert.equal(alice.session.openStreams, 0);
});

test('the connection window holds every stream back until the client opens it', () => {
  const bob = new Client().open();
  bob.send(bob.headers(1, '/etcdserverpb.KV/Range', true));
  const stream = bob.requests[0]!.stream;
  bob.frames();
  bob.session.sendHeaders(stream, new HpackEncoder().encode([{ name: ':status', value: '200' }]));
  bob.session.sendData(stream, new Uint8Array(70_000));
  const sent = bob.frames().filter((f) => f.type === FrameType.data).reduce((sum, f) => sum + f.payload.length, 0);
  assert.equal(sent, 65_535, 'the initial connection window, in frames of at most 16 KiB');
  bob.send(Buffer.concat([windowUpdateFrame(0, 10_000), windowUpdateFrame(1, 10_000)]));
  assert.equal(bob.frames().filter((f) => f.type === FrameType.data).reduce((sum, f) => sum + f.payload.length, 0), 70_000 - 65_535);
});

test('requests beyond the concurrent stream limit are refused with REFUSED_STREAM, and the others are served', () => {
  const alice = new Client({ maxConcurrentStreams: 2 }).open();
  alice.frames();
  alice.send(Buffer.concat([alice.headers(1, '/a', false), alice.headers(3, '/b', false), alice.headers(5, '/c', false)]));
  assert.equal(alice.requests.length, 2);
  const reset = alice.frames().find((f) => f.type === FrameType.rstStream)!;
  assert.equal(reset.streamId, 5);
  assert.equal(u32(reset.payload), H2Error.refusedStream);
});

test('SETTINGS and PING are acknowledged; the server\'s own SETTINGS say its limits', () => {
  const neptune = new Client({ maxConcurrentStreams: 7 });
  const opening = neptune.frames();
  assert.equal(opening[0]!.type, FrameType.settings);
  assert.equal(Buffer.from(opening[0]!.payload).readUInt16BE(0), H2Setting.maxConcurrentStreams);
  assert.equal(Buffer.from(opening[0]!.payload).readUInt32BE(2), 7);
  neptune.open();
  neptune.send(encodeFrame(FrameType.ping, 0, 0, Buffer.from('12345678')));
  const frames = neptune.frames();
  assert.deepEqual(frames.map((f) => [f.type, f.flags]), [[FrameType.settings, FrameFlag.ack], [FrameType.ping, FrameFlag.ack]]);
  assert.equal(Buffer.from(frames[1]!.payload).toString(), '12345678');
});

test('a client that sends past its stream window gets FLOW_CONTROL_ERROR on that stream; past the connection window, a GOAWAY', () => {
  // Frames as large as a whole window, so that one frame can overrun it.
  const alice = new Client({ maxFrameBytes: 1 << 20, streamWindowBytes: 65_535, connectionWindowBytes: 1 << 20 }).open();
  alice.send(alice.headers(1, '/a', false));
  alice.frames();
  alice.send(data(1, new Uint8Array(65_536), false));
  const reset = alice.frames().find((f) => f.type === FrameType.rstStream)!;
  assert.equal(u32(reset.payload), H2Error.flowControlError);
  assert.equal(alice.requests[0]!.reset, H2Error.flowControlError);
  assert.equal(alice.session.isClosed, false);

  const bob = new Client({ maxFrameBytes: 1 << 20, streamWindowBytes: 1 << 20, connectionWindowBytes: 65_535 }).open();
  bob.send(bob.headers(1, '/a', false));
  bob.send(data(1, new Uint8Array(65_536), false));
  assert.equal(goawayCode(bob.frames()), H2Error.flowControlError);
  assert.ok(bob.closedReason !== null && bob.session.isClosed);
  assert.equal(bob.requests[0]!.reset, H2Error.cancel, 'the open request hears the connection end');
});

test('a connection that does not open with the preface, or sends an oversized frame, is ended with the right GOAWAY', () => {
  const stranger = new Client();
  stranger.frames();
  stranger.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  assert.equal(goawayCode(stranger.frames()), H2Error.protocolError);

  const bob = new Client().open();
  bob.frames();
  const header = Buffer.alloc(9);
  header.writeUIntBE(20_000, 0, 3);
  bob.send(header);
  assert.equal(goawayCode(bob.frames()), H2Error.frameSizeError);
});

test('a client\'s RST_STREAM cancels its request, and DATA still in flight for it is ignored', () => {
  const alice = new Client().open();
  alice.send(alice.headers(1, '/etcdserverpb.Watch/Watch', false));
  alice.frames();
  alice.send(encodeFrame(FrameType.rstStream, 0, 1, Uint8Array.of(0, 0, 0, H2Error.cancel)));
  assert.equal(alice.requests[0]!.reset, H2Error.cancel);
  alice.send(data(1, Buffer.from('late'), false));
  assert.deepEqual(alice.frames(), []);
  assert.equal(alice.session.isClosed, false);
});

test('any bytes after the opening end in answers, a reset or a GOAWAY, never an exception', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
    const fuzzer = new Client().open();
    fuzzer.send(fuzzer.headers(1, '/a', false));
    for (const chunk of chunks) fuzzer.send(chunk);
    fuzzer.frames();
  }), { numRuns: 500 });
});
