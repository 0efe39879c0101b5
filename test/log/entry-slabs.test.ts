// The log's entries in memory share slabs only with each other: the story of
// boston's widget counts proposed one after another.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntrySlabs } from '../../src/log/entry-slabs.js';

const widgets = (city: string, count: number): Uint8Array => new TextEncoder().encode(`widgets/${city}=${count}`);

test('entries proposed one after another lie back to back in one slab, each a copy of its own bytes', () => {
  const slabs = new EntrySlabs(4096);
  const scratch = widgets('boston', 10);
  const first = slabs.copy(scratch);
  scratch.fill(0);
  const second = slabs.copy(widgets('philadelphia', 11));
  assert.equal(new TextDecoder().decode(first), 'widgets/boston=10', 'the copy does not follow the scratch buffer it came from');
  assert.equal(new TextDecoder().decode(second), 'widgets/philadelphia=11');
  assert.equal(first.buffer, second.buffer, 'one slab holds both');
  assert.equal(first.buffer.byteLength, 4096, 'a slab of the entries\' own, not a shared pool slab');
  assert.equal(second.byteOffset, first.byteOffset + first.length);
});

test('a full slab gives way to a new one, and a large entry gets its own allocation', () => {
  const slabs = new EntrySlabs(1024);
  const entry = new Uint8Array(60).fill(7);
  const copies = Array.from({ length: 18 }, () => slabs.copy(entry));
  assert.equal(copies[16]!.buffer, copies[0]!.buffer, 'seventeen entries of 60 bytes fit in 1,024');
  assert.notEqual(copies[17]!.buffer, copies[0]!.buffer, 'the eighteenth starts the next slab');
  assert.equal(copies[17]!.byteOffset, 0);
  // A view of Node's buffer pool, as encodeCoreEntry hands over: the copy must not keep the pool's slab.
  const pooled = Buffer.allocUnsafe(65).fill(9);
  const large = slabs.copy(pooled);
  pooled.fill(0);
  assert.ok(large.every((byte) => byte === 9), 'a copy, not a view of the pooled buffer');
  assert.equal(large.buffer.byteLength, 65, 'beyond a sixteenth of a slab an entry is allocated alone');
  assert.notEqual(slabs.copy(entry).buffer, large.buffer);
  assert.ok(copies.every((copy) => copy.every((byte) => byte === 7)));
});

test('a slab size below 1 KiB is refused', () => {
  assert.throws(() => new EntrySlabs(512), /slabBytes must be an integer of at least 1024, not 512/);
});
