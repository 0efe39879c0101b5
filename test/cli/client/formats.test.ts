// The Go behaviours trellis's output copies from etcdctl, checked against
// what Go's standard library documents: duration strings, SI sizes with
// round-half-to-even, %q quoting, encoding/json's HTML-safe strings; and
// the txn text syntax etcdctl reads.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDuration, goQuote, humanizeBytes, leaseHex, parseGoDuration } from '../../../src/cli/client/go-format.js';
import { prefixEnd } from '../../../src/cli/client/kv-requests.js';
import { goJsonString } from '../../../src/cli/client/proto-json.js';
import { parseCompare, readGoString, splitWords } from '../../../src/cli/client/txn-syntax.js';

test('durations print as time.Duration.String does', () => {
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(850), '850ns');
  assert.equal(formatGoDuration(958_123), '958.123µs');
  assert.equal(formatGoDuration(1_821_400), '1.8214ms');
  assert.equal(formatGoDuration(2e9), '2s');
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(formatGoDuration(3600e9), '1h0m0s');
  assert.equal(formatGoDuration(3661.5e9), '1h1m1.5s');
});

test('durations parse as time.ParseDuration does, and anything else is refused', () => {
  assert.equal(parseGoDuration('2s'), 2e9);
  assert.equal(parseGoDuration('500ms'), 500e6);
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('1.5h'), 5400e9);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('2'), null, 'a number without a unit');
  assert.equal(parseGoDuration('soon'), null);
  assert.equal(parseGoDuration('2 s'), null);
});

test('sizes print as go-humanize Bytes does: SI units, whole numbers rounded half to even', () => {
  assert.equal(humanizeBytes(5), '5 B');
  assert.equal(humanizeBytes(999), '999 B');
  assert.equal(humanizeBytes(2_238), '2.2 kB');
  assert.equal(humanizeBytes(9_999), '10 kB');
  assert.equal(humanizeBytes(20_500), '20 kB');
  assert.equal(humanizeBytes(21_500), '22 kB');
  assert.equal(humanizeBytes(32_768), '33 kB');
  assert.equal(humanizeBytes(1_500_000), '1.5 MB');
});

test('%q quotes bytes as strconv.Quote does', () => {
  assert.equal(goQuote('boston'), '"boston"');
  assert.equal(goQuote('say "hi"\\n'), '"say \\"hi\\"\\\\n"');
  assert.equal(goQuote('line\nbreak\ttab'), '"line\\nbreak\\ttab"');
  assert.equal(goQuote(Buffer.from([0x70, 0xff, 0x00, 0x7f])), '"p\\xff\\x00\\x7f"');
  assert.equal(goQuote('pune, महाराष्ट्र'), '"pune, महाराष्ट्र"');
  assert.equal(goQuote('zero\u200bwidth'), '"zero\\u200bwidth"');
});

test('JSON strings are escaped as encoding/json escapes them', () => {
  assert.equal(goJsonString('<a & b>'), '"\\u003ca \\u0026 b\\u003e"');
  assert.equal(goJsonString('tab\tquote"'), '"tab\\tquote\\""');
  assert.equal(goJsonString('\u0001\u2028'), '"\\u0001\\u2028"');
});

test('lease ids print as %016x of an int64', () => {
  assert.equal(leaseHex('42'), '000000000000002a');
  assert.equal(leaseHex('7587877534098427151'), '694d8e6a3b1a8d0f');
});

test('a prefix range ends after the last key with that prefix', () => {
  assert.deepEqual(prefixEnd(Buffer.from('bos')), Buffer.from('bot'));
  assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff])), Buffer.from('b'));
  assert.deepEqual(prefixEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]), 'no key is greater: to the end');
});

test('txn strings follow Go quoting: escapes in double quotes, raw in backquotes', () => {
  assert.deepEqual(readGoString('"a\\x41\\101\\u00e9\\n" rest'), { value: Buffer.from('aAAé\n'), rest: ' rest' });
  assert.deepEqual(readGoString('`raw \\n`'), { value: Buffer.from('raw \\n'), rest: '' });
  assert.equal(readGoString('"unterminated'), null);
  assert.equal(readGoString('"bad \\q escape"'), null);
  assert.deepEqual(
    splitWords(`put "new york" 'a b' --lease=1f`).map((w) => w.toString()),
    ['put', 'new york', 'a b', '--lease=1f'],
  );
});

test('every compare target etcdctl knows becomes the Compare etcd expects', () => {
  const boston = Buffer.from('boston');
  assert.deepEqual(parseCompare('value("boston") = "11"'), { result: 0, target: 3, key: boston, range_end: Buffer.alloc(0), value: Buffer.from('11') });
  assert.deepEqual(parseCompare('ver("boston") > "2"'), { result: 1, target: 0, key: boston, range_end: Buffer.alloc(0), version: '2' });
  assert.deepEqual(parseCompare('c("boston") < "5"'), { result: 2, target: 1, key: boston, range_end: Buffer.alloc(0), create_revision: '5' });
  assert.deepEqual(parseCompare('mod("boston") != "0"'), { result: 3, target: 2, key: boston, range_end: Buffer.alloc(0), mod_revision: '0' });
  assert.deepEqual(parseCompare('lease("boston") = "694d8e6a3b1a8d0f"'), { result: 0, target: 4, key: boston, range_end: Buffer.alloc(0), lease: '7587877534098427151' });
});
