import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkWatches, type CommittedRevision, type KeyValue, type WatchEvent, type WatchSpec } from '../../src/check/index.js';
import { SeededRandom } from '../../src/runtime/random.js';

const cities = ['boston', 'philadelphia', 'london', 'pune'];

/** A random write history and, for a watcher of every key from revision 1, the responses a correct server sends. */
function correctDelivery(seed: number, revisions: number): { committed: CommittedRevision[]; responses: WatchEvent[][] } {
  const random = new SeededRandom(seed);
  const store = new Map<string, KeyValue>();
  const committed: CommittedRevision[] = [];
  const responses: WatchEvent[][] = [[]];
  for (let revision = 1; revision <= revisions; revision++) {
    const keys = cities.filter(() => random.chance(0.4));
    if (keys.length === 0) keys.push(cities[random.nextInt(0, cities.length)]!);
    const committedEvents: CommittedRevision['events'][number][] = [];
    const events: WatchEvent[] = [];
    for (const key of keys) {
      const prevKv = store.get(key) ?? null;
      if (prevKv !== null && random.chance(0.3)) {
        store.delete(key);
        committedEvents.push({ type: 'delete', key });
        events.push({ type: 'delete', key, revision, prevKv });
      } else {
        const value = String(random.nextInt(0, 100));
        store.set(key, { key, value, createRevision: prevKv?.createRevision ?? revision, modRevision: revision, version: (prevKv?.version ?? 0) + 1 });
        committedEvents.push({ type: 'put', key, value });
        events.push({ type: 'put', key, revision, value, version: store.get(key)!.version, prevKv });
      }
    }
    committed.push({ revision, events: committedEvents });
    // A server batches whole revisions into a response, some responses holding several.
    responses.at(-1)!.push(...events);
    if (random.chance(0.6)) responses.push([]);
  }
  return { committed, responses: responses.filter((r) => r.length > 0) };
}

const watchAll: WatchSpec = { watcherId: 'alice', key: '', rangeEnd: '\0', startRevision: 1, prevKv: true };
const shape = fc.record({ seed: fc.integer({ min: 0, max: 0x7fffffff }), revisions: fc.integer({ min: 2, max: 60 }) });

test('what a correct server delivers passes the watch checker', () => {
  fc.assert(
    fc.property(shape, ({ seed, revisions }) => {
      const { committed, responses } = correctDelivery(seed, revisions);
      const result = checkWatches([{ spec: watchAll, responses }], committed);
      assert.equal(result.ok, true, result.text);
    }),
  );
});

test('one event dropped before the last revision seen is reported as a gap at its revision and key', () => {
  fc.assert(
    fc.property(shape, fc.nat(), ({ seed, revisions }, pick) => {
      const { committed, responses } = correctDelivery(seed, revisions);
      const all = responses.flatMap((events, r) => events.map((event, e) => ({ event, r, e })));
      const lastRevision = all.at(-1)!.event.revision;
      const droppable = all.filter(({ event }) => event.revision < lastRevision);
      const { event, r, e } = droppable[pick % droppable.length]!;
      const damaged = responses.map((events, i) => (i === r ? events.filter((_, j) => j !== e) : events));
      const result = checkWatches([{ spec: watchAll, responses: damaged }], committed);
      assert.deepEqual(result.violations.map((v) => [v.kind, v.revision, v.key]), [['gap', event.revision, event.key]]);
    }),
  );
});

test('one response delivered twice is reported as duplicates, nothing else', () => {
  fc.assert(
    fc.property(shape, fc.nat(), ({ seed, revisions }, pick) => {
      const { committed, responses } = correctDelivery(seed, revisions);
      const r = pick % responses.length;
      const replayed = [...responses.slice(0, r + 1), responses[r]!, ...responses.slice(r + 1)];
      const result = checkWatches([{ spec: watchAll, responses: replayed }], committed);
      assert.equal(result.ok, false);
      // Replaying a response after itself repeats its revisions; out-of-order is reported only when it held earlier revisions than its last.
      const duplicates = result.violations.filter((v) => v.kind === 'duplicate');
      assert.equal(duplicates.length, responses[r]!.length);
      assert.ok(result.violations.every((v) => v.kind === 'duplicate' || v.kind === 'out-of-order'));
    }),
  );
});
