import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyString } from '../../src/kv/key-bytes.js';
import { RevisionLogBuilder } from '../../src/kv/revision-log.js';

const key = (text: string): KeyString => text as KeyString;

test('a restored log keeps each revision\'s keys in sub-revision order, and a hole above the compaction revision is refused as damage', () => {
  // Revision 4 was a txn over boston (4.0) and pune (4.1); revision 5 a put of london.
  const whole = new RevisionLogBuilder(4, 5, true);
  whole.place(4, 1, key('pune'));
  whole.place(4, 0, key('boston'));
  whole.place(5, 0, key('london'));
  const log = whole.build();
  assert.deepEqual(log.keysAt(4), ['boston', 'pune']);
  assert.deepEqual(log.keysAt(5), ['london']);
  assert.equal(log.keysAt(6), null);

  // A snapshot that lost boston's change at 5.0 above the compaction at 4: a watcher would replay a gap.
  const damaged = new RevisionLogBuilder(4, 5, true);
  damaged.place(4, 0, key('boston'));
  damaged.place(5, 1, key('pune'));
  assert.throws(() => damaged.build(), new RangeError('revision 5 lacks sub-revision 0'));
});

test('at the compaction revision a change compaction dropped leaves a hole, and only there', () => {
  // Compacted at 4: pune was put at 4.0 and deleted at 4.1, and compaction kept only the delete.
  const compacted = new RevisionLogBuilder(4, 4, true);
  compacted.place(4, 1, key('pune'));
  assert.deepEqual(compacted.build().keysAt(4), [undefined, 'pune']);

  // The same log from a store never compacted: its first revision is no compaction revision, so the hole is damage.
  const uncompacted = new RevisionLogBuilder(4, 4, false);
  uncompacted.place(4, 1, key('pune'));
  assert.throws(() => uncompacted.build(), new RangeError('revision 4 lacks sub-revision 0'));
});
