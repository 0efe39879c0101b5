// HPACK against RFC 7541 itself: the Appendix C examples decode (and encode)
// to the published fields, bytes and dynamic tables; anything the encoder
// writes decodes back to what it was given; and bytes that are not a valid
// header block are refused with HpackError, never a crash or a hang.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HpackDecoder } from '../../src/net/hpack-decoder.js';
import { HpackEncoder } from '../../src/net/hpack-encoder.js';
import { HpackError } from '../../src/net/hpack-error.js';
import { huffmanDecode, huffmanEncode } from '../../src/net/hpack-huffman.js';
import { BlockWriter, bytesToByteString, byteStringToBytes } from '../../src/net/hpack-primitives.js';
import type { HeaderField } from '../../src/net/hpack-tables.js';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const pairs = (fields: readonly HeaderField[]): [string, string][] => fields.map((f) => [f.name, f.value]);
const decoder = (maxTableSizeBytes = 4096): HpackDecoder => new HpackDecoder({ maxTableSizeBytes, maxHeaderListBytes: 64 * 1024 });

interface Example {
  readonly section: string;
  readonly block: string;
  readonly fields: [string, string][];
  /** The dynamic table afterwards, newest first. */
  readonly table: [string, string][];
  readonly tableSize: number;
}

const request1: [string, string][] = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const request2: [string, string][] = [...request1, ['cache-control', 'no-cache']];
const request3: [string, string][] = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];
const requestTables: [string, string][][] = [
  [[':authority', 'www.example.com']],
  [['cache-control', 'no-cache'], [':authority', 'www.example.com']],
  [['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']],
];
const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const date2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const response1: [string, string][] = [[':status', '302'], ['cache-control', 'private'], ['date', date1], ['location', 'https://www.example.com']];
const response2: [string, string][] = [[':status', '307'], ...response1.slice(1)];
const response3: [string, string][] = [[':status', '200'], ['cache-control', 'private'], ['date', date2], ['location', 'https://www.example.com'], ['content-encoding', 'gzip'], ['set-cookie', cookie]];
const responseTables: [string, string][][] = [
  [['location', 'https://www.example.com'], ['date', date1], ['cache-control', 'private'], [':status', '302']],
  [[':status', '307'], ['location', 'https://www.example.com'], ['date', date1], ['cache-control', 'private']],
  [['set-cookie', cookie], ['content-encoding', 'gzip'], ['date', date2]],
];

const series: Record<string, { tableSizeBytes: number; huffman: boolean; examples: Example[] }> = {
  'C.3 requests without Huffman coding': {
    tableSizeBytes: 4096, huffman: false, examples: [
      { section: 'C.3.1', block: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', fields: request1, table: requestTables[0]!, tableSize: 57 },
      { section: 'C.3.2', block: '8286 84be 5808 6e6f 2d63 6163 6865', fields: request2, table: requestTables[1]!, tableSize: 110 },
      { section: 'C.3.3', block: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', fields: request3, table: requestTables[2]!, tableSize: 164 },
    ],
  },
  'C.4 requests with Huffman coding': {
    tableSizeBytes: 4096, huffman: true, examples: [
      { section: 'C.4.1', block: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', fields: request1, table: requestTables[0]!, tableSize: 57 },
      { section: 'C.4.2', block: '8286 84be 5886 a8eb 1064 9cbf', fields: request2, table: requestTables[1]!, tableSize: 110 },
      { section: 'C.4.3', block: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', fields: request3, table: requestTables[2]!, tableSize: 164 },
    ],
  },
  'C.5 responses without Huffman coding, evicting from a 256-byte table': {
    tableSizeBytes: 256, huffman: false, examples: [
      {
        section: 'C.5.1',
        block: '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        fields: response1, table: responseTables[0]!, tableSize: 222,
      },
      { section: 'C.5.2', block: '4803 3330 37c1 c0bf', fields: response2, table: responseTables[1]!, tableSize: 222 },
      {
        section: 'C.5.3',
        block: '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
        fields: response3, table: responseTables[2]!, tableSize: 215,
      },
    ],
  },
  'C.6 responses with Huffman coding, evicting from a 256-byte table': {
    tableSizeBytes: 256, huffman: true, examples: [
      {
        section: 'C.6.1',
        block: '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
        fields: response1, table: responseTables[0]!, tableSize: 222,
      },
      { section: 'C.6.2', block: '4883 640e ffc1 c0bf', fields: response2, table: responseTables[1]!, tableSize: 222 },
      {
        section: 'C.6.3',
        block: '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
        fields: response3, table: responseTables[2]!, tableSize: 215,
      },
    ],
  },
};

test('RFC 7541 C.2: each literal representation and an indexed field, on a fresh decoder', () => {
  const cases: { block: string; fields: HeaderField[]; table: [string, string][] }[] = [
    { block: '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', fields: [{ name: 'custom-key', value: 'custom-header' }], table: [['custom-key', 'custom-header']] },
    { block: '040c 2f73 616d 706c 652f 7061 7468', fields: [{ name: ':path', value: '/sample/path' }], table: [] },
    { block: '1008 7061 7373 776f 7264 0673 6563 7265 74', fields: [{ name: 'password', value: 'secret', sensitive: true }], table: [] },
    { block: '82', fields: [{ name: ':method', value: 'GET' }], table: [] },
  ];
  for (const { block, fields, table } of cases) {
    const d = decoder();
    assert.deepEqual(d.decode(hex(block)), fields);
    assert.deepEqual(pairs(d.tableEntries()), table);
  }
});

for (const [title, { tableSizeBytes, huffman, examples }] of Object.entries(series)) {
  test(`RFC 7541 ${title}: one decoder through the series, and one encoder writing the same bytes`, () => {
    const d = decoder(tableSizeBytes);
    const e = new HpackEncoder({ huffman, indexing: true, tableSizeBytes });
    for (const example of examples) {
      assert.deepEqual(pairs(d.decode(hex(example.block))), example.fields, `${example.section} fields`);
      assert.deepEqual(pairs(d.tableEntries()), example.table, `${example.section} dynamic table`);
      assert.equal(d.tableSize, example.tableSize, `${example.section} table size`);
      const encoded = e.encode(example.fields.map(([name, value]) => ({ name, value })));
      assert.equal(toHex(encoded), example.block.replace(/\s+/g, ''), `${example.section} encoding`);
    }
  });
}

test('the Huffman code turns the RFC example strings into the published bytes and back', () => {
  const strings: [string, string][] = [
    ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'], ['no-cache', 'a8eb 1064 9cbf'], ['custom-key', '25a8 49e9 5ba9 7d7f'],
    ['302', '6402'], ['private', 'aec3 771a 4b'], [date1, 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'], ['gzip', '9bd9 ab'],
  ];
  for (const [text, coded] of strings) {
    assert.equal(toHex(huffmanEncode(byteStringToBytes(text))), coded.replace(/\s+/g, ''));
    assert.equal(bytesToByteString(huffmanDecode(hex(coded))), text);
  }
});

test('any byte string survives Huffman coding', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    assert.deepEqual(huffmanDecode(huffmanEncode(bytes)), bytes);
  }));
});

const byteString = fc.uint8Array({ maxLength: 40 }).map(bytesToByteString);
const headerName = fc.oneof(fc.constantFrom(':authority', ':path', ':method', 'content-type', 'te', 'grpc-timeout', 'user-agent', 'x-widget'), byteString);
const field = fc.record({ name: headerName, value: fc.oneof(fc.constantFrom('', 'GET', '/', 'application/grpc', 'boston'), byteString), sensitive: fc.boolean() })
  .map(({ name, value, sensitive }): HeaderField => (sensitive ? { name, value, sensitive } : { name, value }));
const block = fc.record({ fields: fc.array(field, { maxLength: 12 }), resizeTo: fc.option(fc.integer({ min: 0, max: 4096 }), { nil: undefined }) });

test('whatever the encoder writes, with or without Huffman and indexing, decodes to what it was given', () => {
  fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 4096 }), fc.array(block, { maxLength: 10 }), (huffman, indexing, tableSizeBytes, blocks) => {
    const e = new HpackEncoder({ huffman, indexing, tableSizeBytes });
    const d = decoder(4096);
    e.setTableSize(tableSizeBytes); // signalled in the first block: the decoder starts at 4096
    for (const { fields, resizeTo } of blocks) {
      if (resizeTo !== undefined) e.setTableSize(resizeTo);
      assert.deepEqual(d.decode(e.encode(fields)), fields);
    }
    assert.ok(d.tableSize <= 4096);
  }));
});

test('the stateless encoder leaves the decoder\'s dynamic table empty', () => {
  fc.assert(fc.property(fc.array(fc.array(field, { maxLength: 12 }), { maxLength: 10 }), (blocks) => {
    const e = new HpackEncoder();
    const d = decoder();
    for (const fields of blocks) assert.deepEqual(d.decode(e.encode(fields)), fields);
    assert.equal(d.tableEntries().length, 0);
  }));
});

test('malformed header blocks are refused with a reason', () => {
  const sizeUpdate = (size: number): Uint8Array => {
    const w = new BlockWriter();
    w.integer(size, 5, 0x20);
    return w.finish();
  };
  const refusals: [string, Uint8Array, RegExp, HpackDecoder?][] = [
    ['a truncated integer', hex('ff'), /ends in the middle of an integer/],
    ['an integer beyond 2^31', hex('ff 80 80 80 80 10'), /exceeds 2147483647/],
    ['an integer with endless continuation octets', hex('ff 80 80 80 80 80 80 01'), /too many continuation octets/],
    ['a string longer than the block', hex('040c 2f73'), /string of 12 bytes runs past the end/],
    ['a block that stops after a name index', hex('04'), /ends in the middle of a representation/],
    ['Huffman padding of zeros', hex('0481 18'), /padded with bits other than the ones of EOS/],
    ['Huffman padding longer than 7 bits', hex('0482 1fff'), /11 bits of padding/],
    ['the EOS symbol inside a string', hex('0484 ffff ffff'), /EOS symbol/],
    ['index 0', hex('80'), /index 0 is not valid/],
    ['an index past the dynamic table', hex('be'), /dynamic table index 1 is out of range: the table holds 0 entries/],
    ['a table size above the setting', sizeUpdate(4097), /4097 bytes exceeds the 4096 bytes allowed/],
    ['a table size update after a field', hex('82 20'), /must open the header block/],
    ['a header list over the limit', Uint8Array.from([0x04, 0x7f, 0x21, ...new Uint8Array(160).fill(0x61)]), /header list exceeds 100 bytes/, new HpackDecoder({ maxTableSizeBytes: 4096, maxHeaderListBytes: 100 })],
  ];
  for (const [what, bytes, reason, d] of refusals) {
    assert.throws(() => (d ?? decoder()).decode(bytes), (error: unknown) => error instanceof HpackError && reason.test(error.message), what);
  }
});

test('random bytes as a header block are decoded or refused with HpackError, never anything else', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }), (blocks) => {
    const d = decoder();
    for (const bytes of blocks) {
      try {
        d.decode(bytes);
      } catch (error) {
        assert.ok(error instanceof HpackError, `unexpected ${String(error)}`);
        return;
      }
    }
  }), { numRuns: 2_000 });
});
