// The authority rewriter between a client whose :authority Node would refuse
// and the server: header blocks come out decodable on their own (the
// server's dynamic table stays empty) with the authority mended and all else
// unchanged; every other frame passes through byte for byte, DATA without
// being copied; and bytes that break the framing close the connection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { repairAuthority } from '../../src/net/hpack-authority.js';
import { HpackError } from '../../src/net/hpack-error.js';
import { FrameFlag, FrameType, concatBytes, encodeFrame } from '../../src/net/hpack-frames.js';
import { AuthorityRewriter, defaultRewriterLimits } from '../../src/net/hpack-rewriter.js';
import type { HeaderField } from '../../src/net/hpack-tables.js';
import { WireClient, chunked, parseClientStream, type WireEvent } from './hpack-wire.js';

const fallback = '127.0.0.1:2379';
const call = (authority: string, path = '/etcdserverpb.KV/Put', extra: HeaderField[] = []): HeaderField[] => [
  { name: ':method', value: 'POST' }, { name: ':scheme', value: 'http' }, { name: ':path', value: path },
  { name: ':authority', value: authority }, { name: 'content-type', value: 'application/grpc' }, { name: 'te', value: 'trailers' }, ...extra,
];

function rewrite(rewriter: AuthorityRewriter, chunks: readonly Uint8Array[]): Uint8Array {
  return concatBytes(chunks.flatMap((chunk) => rewriter.fromClient(chunk)));
}

test('authorities Node refuses are mended to their host:port, or to the listener\'s address', () => {
  assert.equal(repairAuthority('http://127.0.0.1:2379', fallback), '127.0.0.1:2379');
  assert.equal(repairAuthority('https://[::1]:2379/', fallback), '[::1]:2379');
  assert.equal(repairAuthority('boston:2379/v3?x#y', fallback), 'boston:2379');
  assert.equal(repairAuthority('unix:///var/run/etcd.sock', fallback), fallback);
  assert.equal(repairAuthority('', fallback), fallback);
  assert.equal(repairAuthority('pune:2379', fallback), 'pune:2379', 'an acceptable authority is left alone');
});

test('etcdctl\'s Maintenance call reaches the server with authority 127.0.0.1:2379 and everything else intact', () => {
  const alice = new WireClient();
  const rewriter = new AuthorityRewriter(fallback);
  const message = Uint8Array.of(0, 0, 0, 0, 2, 8, 1);
  const out = rewrite(rewriter, [concatBytes([
    alice.preface(), alice.settings(), alice.settingsAck(),
    alice.headers(1, call('http://127.0.0.1:2379', '/etcdserverpb.Maintenance/Status')), alice.data(1, message, true),
    alice.headers(3, call('http://127.0.0.1:2379', '/etcdserverpb.Maintenance/HashKV')),
  ])]);
  const parsed = parseClientStream(out);
  const headers = parsed.events.filter((e): e is Extract<WireEvent, { kind: 'headers' }> => e.kind === 'headers');
  assert.deepEqual(headers.map((h) => h.fields), [call('127.0.0.1:2379', '/etcdserverpb.Maintenance/Status'), call('127.0.0.1:2379', '/etcdserverpb.Maintenance/HashKV')]);
  assert.deepEqual(parsed.events.find((e) => e.kind === 'frame' && e.type === FrameType.data), { kind: 'frame', type: FrameType.data, flags: FrameFlag.endStream, streamId: 1, payload: message });
  assert.equal(parsed.decoder.tableEntries().length, 0, 'the server\'s dynamic table stays empty');
  assert.deepEqual([rewriter.rewrittenBlocks, rewriter.repairedAuthorities], [2, 2]);
});

test('a chunk of DATA frames comes out as the very same bytes, not a copy', () => {
  const bob = new WireClient();
  const rewriter = new AuthorityRewriter(fallback);
  rewriter.fromClient(concatBytes([bob.preface(), bob.settings(), bob.headers(1, call('http://pune:2379'))]));
  const chunk = concatBytes([bob.data(1, new Uint8Array(1000).fill(7)), bob.windowUpdate(1, 10), bob.data(1, new Uint8Array(10), true)]);
  const out = rewriter.fromClient(chunk);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.buffer, chunk.buffer);
  assert.deepEqual(out[0], chunk);
});

const conversation = fc.record({
  huffman: fc.boolean(),
  indexing: fc.boolean(),
  requests: fc.array(fc.record({
    authority: fc.constantFrom('http://127.0.0.1:2379', '127.0.0.1:2379', 'https://boston:2379/', 'unix:///tmp/etcd', 'london:2379'),
    metadata: fc.array(fc.record({ name: fc.constantFrom('x-widget', 'grpc-timeout', 'token'), value: fc.string({ maxLength: 30 }) }), { maxLength: 3 }),
    splitAt: fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 3 }),
    padLength: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    priority: fc.boolean(),
    dataBytes: fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 3 }),
  }), { minLength: 1, maxLength: 6 }),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 6 }),
});

test('any conversation, split anywhere, reaches the server with only the authorities changed', () => {
  fc.assert(fc.property(conversation, ({ huffman, indexing, requests, chunkSizes }) => {
    const alice = new WireClient({ huffman, indexing });
    const parts: Uint8Array[] = [alice.preface(), alice.settings([[4, 1 << 20]])];
    const expected: string[] = [];
    requests.forEach((r, i) => {
      const streamId = 2 * i + 1;
      const fields = call(r.authority, '/etcdserverpb.KV/Range', r.metadata);
      parts.push(alice.headers(streamId, fields, { splitAt: r.splitAt, padLength: r.padLength, priority: r.priority, endStream: r.dataBytes.length === 0 }));
      expected.push(`headers ${streamId} ${JSON.stringify(call(repairAuthority(r.authority, fallback), '/etcdserverpb.KV/Range', r.metadata))} ${r.priority}`);
      r.dataBytes.forEach((size, j) => {
        const last = j === r.dataBytes.length - 1;
        parts.push(alice.data(streamId, new Uint8Array(size).fill(i), last));
        expected.push(`data ${streamId} ${size} ${last}`);
      });
    });
    const rewriter = new AuthorityRewriter(fallback);
    const parsed = parseClientStream(rewrite(rewriter, chunked(concatBytes(parts), chunkSizes)));
    const seen = parsed.events.flatMap((e) => {
      if (e.kind === 'headers') return [`headers ${e.streamId} ${JSON.stringify(e.fields)} ${e.priority}`];
      if (e.type === FrameType.data) return [`data ${e.streamId} ${e.payload.length} ${(e.flags & FrameFlag.endStream) !== 0}`];
      return [];
    });
    assert.deepEqual(seen, expected);
    assert.equal(parsed.decoder.tableEntries().length, 0);
  }), { numRuns: 300 });
});

test('a header block larger than one frame is re-sent as HEADERS and CONTINUATION within 16384 bytes each', () => {
  const alice = new WireClient({ huffman: false, indexing: false });
  const big = call('http://127.0.0.1:2379', '/etcdserverpb.KV/Put', [{ name: 'x-widget', value: 'w'.repeat(40_000) }]);
  const rewriter = new AuthorityRewriter(fallback);
  const out = rewrite(rewriter, chunked(concatBytes([alice.preface(), alice.headers(1, big, { splitAt: [16_000, 16_000] })]), [5_000]));
  const parsed = parseClientStream(out);
  assert.ok(parsed.largestFrameBytes <= 16_384);
  assert.deepEqual(parsed.events.map((e) => (e.kind === 'headers' ? e.fields : e)), [call('127.0.0.1:2379', '/etcdserverpb.KV/Put', [{ name: 'x-widget', value: 'w'.repeat(40_000) }])]);
});

test('the client may grow its table only as far as the server\'s SETTINGS_HEADER_TABLE_SIZE allows', () => {
  const grown = (): Uint8Array => {
    const alice = new WireClient({ huffman: true, indexing: true, tableSizeBytes: 8192 });
    alice.encoder.setTableSize(8192);
    return concatBytes([alice.preface(), alice.headers(1, call('http://127.0.0.1:2379'))]);
  };
  assert.throws(() => new AuthorityRewriter(fallback).fromClient(grown()), /8192 bytes exceeds the 4096 bytes allowed/);
  const rewriter = new AuthorityRewriter(fallback);
  rewriter.fromServer(encodeFrame(FrameType.settings, 0, 0, Uint8Array.of(0, 1, 0, 0, 0x20, 0)));
  assert.equal(parseClientStream(rewrite(rewriter, [grown()])).events.length, 1);
});

test('frames larger than 16384 bytes pass once the server\'s SETTINGS_MAX_FRAME_SIZE allows them', () => {
  const bob = new WireClient();
  const bytes = concatBytes([bob.preface(), bob.data(1, new Uint8Array(20_000))]);
  assert.throws(() => new AuthorityRewriter(fallback).fromClient(bytes), /frame of 20000 bytes exceeds the 16384 bytes/);
  const rewriter = new AuthorityRewriter(fallback);
  rewriter.fromServer(concatBytes(chunked(encodeFrame(FrameType.settings, 0, 0, Uint8Array.of(0, 5, 0, 1, 0, 0)), [4, 7])));
  assert.equal(rewrite(rewriter, [bytes]).length, bytes.length);
});

test('bytes that break HTTP/2\'s framing rules are refused with the reason', () => {
  const alice = new WireClient();
  const preface = alice.preface();
  const refusals: [string, Uint8Array, RegExp][] = [
    ['a CONTINUATION out of nowhere', encodeFrame(FrameType.continuation, FrameFlag.endHeaders, 1, Uint8Array.of(0x82)), /follows no HEADERS/],
    ['a header block interrupted by DATA', concatBytes([alice.headers(1, call('a:1'), { splitAt: [3] }).subarray(0, 12), alice.data(1, new Uint8Array(1))]), /type 0 interrupts the header block of stream 1/],
    ['a CONTINUATION on another stream', concatBytes([alice.headers(1, call('a:1'), { splitAt: [3] }).subarray(0, 12), encodeFrame(FrameType.continuation, FrameFlag.endHeaders, 3, Uint8Array.of(0x82))]), /interrupts the header block of stream 1/],
    ['a PUSH_PROMISE from a client', encodeFrame(FrameType.pushPromise, FrameFlag.endHeaders, 1, new Uint8Array(5)), /only servers may send/],
    ['HEADERS on stream 0', encodeFrame(FrameType.headers, FrameFlag.endHeaders, 0, Uint8Array.of(0x82)), /HEADERS frame on stream 0/],
    ['padding longer than the frame', encodeFrame(FrameType.headers, FrameFlag.endHeaders | FrameFlag.padded, 1, Uint8Array.of(9, 0x82)), /padding of 9 bytes/],
    ['a priority cut short', encodeFrame(FrameType.headers, FrameFlag.endHeaders | FrameFlag.priority, 1, Uint8Array.of(0, 0)), /too short for its priority fields/],
    ['a header block that does not decode', encodeFrame(FrameType.headers, FrameFlag.endHeaders, 1, Uint8Array.of(0xbe)), /dynamic table index 1 is out of range/],
  ];
  for (const [what, bytes, reason] of refusals) {
    assert.throws(() => new AuthorityRewriter(fallback).fromClient(concatBytes([preface, bytes])), (error: unknown) => error instanceof HpackError && reason.test(error.message), what);
  }
  const small = new AuthorityRewriter(fallback, { ...defaultRewriterLimits, maxHeaderBlockBytes: 100 });
  assert.throws(() => small.fromClient(concatBytes([preface, alice.headers(1, call('a:1', '/'.repeat(200)), { splitAt: [60] })])), /header block exceeds the 100 bytes/);
});

test('random bytes after the preface are passed, or refused with HpackError, never anything else', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 6 }), (chunks) => {
    const rewriter = new AuthorityRewriter(fallback);
    try {
      rewrite(rewriter, [new WireClient().preface(), ...chunks]);
    } catch (error) {
      assert.ok(error instanceof HpackError, `unexpected ${String(error)}`);
    }
  }), { numRuns: 2_000 });
});
