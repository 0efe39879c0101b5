// The client port's first look at a connection: HTTP/1 or HTTP/2 from the
// first bytes, and for HTTP/2 the :authority of the first request, with the
// bytes to replay to the server once the client has acknowledged the
// front's SETTINGS (minus that acknowledgement and the PINGs it answered).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HpackError } from '../../src/net/hpack-error.js';
import { FrameFlag, FrameType, concatBytes, encodeFrame } from '../../src/net/hpack-frames.js';
import { Http2Opening, guessProtocol, type OpeningProgress } from '../../src/net/hpack-opening.js';
import { WireClient, chunked, parseClientStream } from './hpack-wire.js';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const request = (authority: string) => [
  { name: ':method', value: 'POST' }, { name: ':scheme', value: 'http' }, { name: ':path', value: '/etcdserverpb.Maintenance/Status' },
  { name: ':authority', value: authority }, { name: 'content-type', value: 'application/grpc' }, { name: 'te', value: 'trailers' },
];

/** Feeds chunks as the front does, stopping at the first decision. */
function feed(opening: Http2Opening, chunks: readonly Uint8Array[]): { decided: OpeningProgress['decided']; replies: Uint8Array[] } {
  const replies: Uint8Array[] = [];
  for (const chunk of chunks) {
    const progress = opening.push(chunk);
    replies.push(...progress.replies);
    if (progress.decided !== null) return { decided: progress.decided, replies };
  }
  return { decided: null, replies };
}

test('the first bytes tell HTTP/1 from HTTP/2 from anything else, as soon as they can', () => {
  assert.deepEqual(guessProtocol(ascii('GET /health HTTP/1.1\r\n')), { kind: 'http1' });
  assert.deepEqual(guessProtocol(ascii('HEAD ')), { kind: 'http1' });
  assert.deepEqual(guessProtocol(ascii('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), { kind: 'http2' });
  assert.deepEqual(guessProtocol(ascii('P')), { kind: 'undecided' });
  assert.deepEqual(guessProtocol(ascii('PRI * HTTP/2.0\r\n')), { kind: 'undecided' });
  assert.deepEqual(guessProtocol(ascii('GE')), { kind: 'undecided' });
  assert.equal(guessProtocol(ascii('PRI * HTTP/1.1\r\n')).kind, 'unknown');
  assert.equal(guessProtocol(Uint8Array.of(0x16, 0x03, 0x01, 0x02)).kind, 'unknown', 'a TLS ClientHello is not served');
  assert.match((guessProtocol(ascii('hello there')) as { reason: string }).reason, /neither an HTTP\/1 request nor the HTTP\/2 preface/);
});

test('a Go client waits for SETTINGS, acknowledges them, then asks: the front replays all but the acknowledgement', () => {
  const alice = new WireClient();
  const opening = new Http2Opening();
  const before = opening.push(concatBytes([alice.preface(), alice.settings()]));
  assert.equal(before.decided, null);
  const headers = alice.headers(1, request('http://127.0.0.1:2379'));
  const after = feed(opening, [alice.settingsAck(), alice.windowUpdate(0, 1 << 20), headers]);
  assert.equal(after.decided?.authority, 'http://127.0.0.1:2379');
  const replayed = parseClientStream(after.decided!.replay);
  assert.deepEqual(replayed.events.map((e) => (e.kind === 'frame' ? `frame ${e.type}` : `headers ${e.streamId}`)), [`frame ${FrameType.settings}`, `frame ${FrameType.windowUpdate}`, 'headers 1']);
});

test('a client that asks before it acknowledges is held until the acknowledgement arrives', () => {
  const bob = new WireClient();
  const opening = new Http2Opening();
  const asked = opening.push(concatBytes([bob.preface(), bob.settings(), bob.headers(1, request('127.0.0.1:2379')), bob.data(1, new Uint8Array(5))]));
  assert.equal(asked.decided, null);
  assert.equal(opening.acknowledged, false);
  const acknowledged = opening.push(bob.settingsAck());
  assert.equal(acknowledged.decided?.authority, '127.0.0.1:2379');
  assert.equal(parseClientStream(acknowledged.decided!.replay).events.length, 3, 'SETTINGS, HEADERS and DATA, no ACK');
});

test('a PING during the opening is answered by the front and not replayed', () => {
  const alice = new WireClient();
  const { decided, replies } = feed(new Http2Opening(), [concatBytes([alice.preface(), alice.settings(), alice.ping(42), alice.settingsAck(), alice.headers(1, request('pune:2379'))])]);
  assert.equal(replies.length, 1);
  const reply = parseClientStream(concatBytes([alice.preface(), replies[0]!])).events[0]!;
  assert.ok(reply.kind === 'frame' && reply.type === FrameType.ping && reply.flags === FrameFlag.ack);
  assert.deepEqual(reply.payload, alice.ping(42).subarray(9));
  assert.ok(parseClientStream(decided!.replay).events.every((e) => e.kind !== 'frame' || e.type !== FrameType.ping));
});

test('a request without :authority is decided with none', () => {
  const alice = new WireClient();
  const { decided } = feed(new Http2Opening(), [concatBytes([alice.preface(), alice.settings(), alice.settingsAck(), alice.headers(1, [{ name: ':method', value: 'GET' }, { name: ':path', value: '/' }])])]);
  assert.equal(decided?.authority, null);
});

test('however the bytes are split, the replay is every byte received but the ACK and the PING, a frame cut short included', () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 4 }),
    fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
    fc.boolean(),
    (sizes, splitAt, padLength, priority) => {
      const alice = new WireClient();
      const before = concatBytes([alice.preface(), alice.settings([[4, 1 << 20]]), alice.headers(1, request('http://127.0.0.1:2379'), { splitAt, padLength, priority })]);
      const answered = concatBytes([alice.ping(7), alice.settingsAck()]);
      const after = alice.data(1, new Uint8Array(300).fill(9), true);
      const chunks = chunked(concatBytes([before, answered, after]), sizes);
      const opening = new Http2Opening();
      let received = 0;
      let replies = 0;
      for (const chunk of chunks) {
        received += chunk.length;
        const progress = opening.push(chunk);
        replies += progress.replies.length;
        if (progress.decided === null) continue;
        assert.equal(progress.decided.authority, 'http://127.0.0.1:2379');
        assert.equal(replies, 1, 'the PING was answered once');
        const expected = concatBytes([before, after.subarray(0, received - before.length - answered.length)]);
        assert.deepEqual(progress.decided.replay, expected);
        return;
      }
      assert.fail('no decision after the whole opening');
    },
  ));
});

test('a broken opening is refused with the reason', () => {
  const alice = new WireClient();
  const opening = (): Http2Opening => new Http2Opening({ maxHeldBytes: 64 * 1024 });
  const refusals: [string, Uint8Array, RegExp][] = [
    ['a wrong preface', ascii('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'), /does not open with the HTTP\/2 client preface/],
    ['a frame above 16384 bytes', concatBytes([alice.preface(), alice.data(1, new Uint8Array(16_385))]), /frame of 16385 bytes exceeds the 16384 bytes allowed/],
    ['a header block interrupted', concatBytes([alice.preface(), alice.headers(1, request('a:1'), { splitAt: [3] }).subarray(0, 12), alice.ping(1)]), /interrupts the header block of stream 1/],
    ['a CONTINUATION out of nowhere', concatBytes([alice.preface(), encodeFrame(FrameType.continuation, FrameFlag.endHeaders, 1, Uint8Array.of(0x82))]), /follows no HEADERS/],
    ['a header block that does not decode', concatBytes([alice.preface(), encodeFrame(FrameType.headers, FrameFlag.endHeaders, 1, Uint8Array.of(0x80))]), /index 0 is not valid/],
  ];
  for (const [what, bytes, reason] of refusals) {
    assert.throws(() => opening().push(bytes), (error: unknown) => error instanceof HpackError && reason.test(error.message), what);
  }
  const flood = new Http2Opening({ maxHeldBytes: 1_000 });
  flood.push(concatBytes([alice.preface(), alice.settings()]));
  assert.throws(() => {
    for (let i = 0; i < 100; i++) flood.push(alice.windowUpdate(0, 1));
  }, /more than 1000 bytes before its first request/);
});
