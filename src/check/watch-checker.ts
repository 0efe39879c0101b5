// The State Watch guarantees, checked from what each watcher received against
// the committed write history (etcd's documented watch guarantees):
// - ordered: events arrive in revision order, and within a revision in commit order;
// - unique: no event is delivered twice;
// - reliable: from the start revision to the last revision a watcher saw,
//   every committed event its key, range or prefix and filters select arrives;
// - atomic: all selected events of one revision arrive in one response;
// - prev_kv: when asked for, each event carries the key's previous value.
// Expected events are computed by replaying the committed writes, so
// create/mod revisions, versions and previous values need not be recorded.

import { fail } from '../assert.js';
import { describeValue } from './model.js';
import type { KeyValue } from './models/mvcc-store.js';

export interface CommittedEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The value written; absent for deletes. */
  readonly value?: string;
}

/** One revision of the store's write history, its events in commit order. */
export interface CommittedRevision {
  readonly revision: number;
  readonly events: readonly CommittedEvent[];
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The event's revision: the put's or delete's mod revision. */
  readonly revision: number;
  readonly value?: string;
  readonly createRevision?: number;
  readonly version?: number;
  /** What the key held before; null when it held nothing. Checked when the watch asked for it. */
  readonly prevKv?: KeyValue | null;
}

export interface WatchSpec {
  readonly watcherId: string;
  /** rangeEnd as etcd: absent means the key alone, '\0' every key from `key`, else [key, rangeEnd). */
  readonly key: string;
  readonly rangeEnd?: string;
  /** The first revision the watcher must see: the requested start, or the creation header revision + 1. */
  readonly startRevision: number;
  readonly filters?: readonly ('noput' | 'nodelete')[];
  readonly prevKv?: boolean;
}

export interface WatcherRecord {
  readonly spec: WatchSpec;
  /** Each response's events, in the order the watcher received them. */
  readonly responses: readonly (readonly WatchEvent[])[];
}

export type WatchViolationKind = 'out-of-order' | 'duplicate' | 'gap' | 'split-revision' | 'unexpected-event' | 'wrong-event' | 'wrong-prev-kv' | 'before-start';

export interface WatchViolation {
  readonly watcherId: string;
  readonly kind: WatchViolationKind;
  readonly revision: number;
  readonly key?: string;
  readonly message: string;
}

export interface WatchCheckOptions {
  /** The store before the committed history; empty at revision 0 if absent. */
  readonly initial?: { readonly revision: number; readonly kvs: readonly KeyValue[] };
  /** Stop collecting past this many violations. */
  readonly maxViolations?: number;
}

export interface WatchCheckResult {
  readonly ok: boolean;
  readonly violations: readonly WatchViolation[];
  /** One line per violation, for a test failure or a simulator report. */
  readonly text: string;
}

interface ExpectedEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly revision: number;
  /** The key after the event; absent for deletes. */
  readonly kv?: KeyValue;
  readonly prevKv: KeyValue | null;
}

export function checkWatches(watchers: readonly WatcherRecord[], committed: readonly CommittedRevision[], options: WatchCheckOptions = {}): WatchCheckResult {
  const maxViolations = options.maxViolations ?? 100;
  const expected = replay(committed, options);
  const violations: WatchViolation[] = [];
  for (const watcher of watchers) {
    checkWatcher(watcher, expected, (violation) => {
      if (violations.length < maxViolations) violations.push(violation);
    });
  }
  const text = violations.map((v) => `watcher ${v.watcherId}, revision ${v.revision}${v.key === undefined ? '' : `, key ${v.key}`}: ${v.kind}: ${v.message}`).join('\n');
  return { ok: violations.length === 0, violations, text };
}

function replay(committed: readonly CommittedRevision[], options: WatchCheckOptions): Map<number, ExpectedEvent[]> {
  const keys = new Map((options.initial?.kvs ?? []).map((kv) => [kv.key, kv]));
  let revision = options.initial?.revision ?? 0;
  const byRevision = new Map<number, ExpectedEvent[]>();
  for (const write of committed) {
    if (write.revision <= revision) throw new RangeError(`committed revision ${write.revision} follows revision ${revision}: list revisions in increasing order, after the initial store`);
    revision = write.revision;
    const events: ExpectedEvent[] = [];
    for (const event of write.events) {
      const previous = keys.get(event.key) ?? null;
      if (event.type === 'delete') {
        keys.delete(event.key);
        events.push({ type: 'delete', key: event.key, revision, prevKv: previous });
        continue;
      }
      if (event.value === undefined) fail(`committed put of ${event.key} at revision ${revision} needs a value`);
      const kv: KeyValue = { key: event.key, value: event.value, createRevision: previous?.createRevision ?? revision, modRevision: revision, version: (previous?.version ?? 0) + 1 };
      keys.set(event.key, kv);
      events.push({ type: 'put', key: event.key, revision, kv, prevKv: previous });
    }
    byRevision.set(revision, events);
  }
  return byRevision;
}

function selects(spec: WatchSpec, event: { readonly type: 'put' | 'delete'; readonly key: string }): boolean {
  if (spec.filters?.includes(event.type === 'put' ? 'noput' : 'nodelete') === true) return false;
  if (spec.rangeEnd === undefined) return event.key === spec.key;
  return event.key >= spec.key && (spec.rangeEnd === '\0' || event.key < spec.rangeEnd);
}

function checkWatcher(watcher: WatcherRecord, expected: ReadonlyMap<number, ExpectedEvent[]>, report: (violation: WatchViolation) => void): void {
  const spec = watcher.spec;
  const flag = (kind: WatchViolationKind, revision: number, message: string, key?: string): void =>
    report({ watcherId: spec.watcherId, kind, revision, key, message });
  // Deliveries per revision, with the responses they came in.
  const delivered = new Map<number, { events: WatchEvent[]; responses: Set<number> }>();
  let lastRevision = -Infinity;
  watcher.responses.forEach((events, response) => {
    for (const event of events) {
      if (event.revision < lastRevision) flag('out-of-order', event.revision, `arrived after revision ${lastRevision}`, event.key);
      lastRevision = Math.max(lastRevision, event.revision);
      if (event.revision < spec.startRevision) flag('before-start', event.revision, `the watch starts at revision ${spec.startRevision}`, event.key);
      let entry = delivered.get(event.revision);
      if (entry === undefined) delivered.set(event.revision, (entry = { events: [], responses: new Set() }));
      entry.events.push(event);
      entry.responses.add(response);
    }
  });
  for (const [revision, entry] of delivered) {
    const wanted = (expected.get(revision) ?? []).filter((event) => selects(spec, event));
    const seenKeys = new Set<string>();
    let duplicates = 0;
    let position = 0;
    for (const event of entry.events) {
      if (seenKeys.has(event.key)) {
        flag('duplicate', revision, `${event.type} delivered again`, event.key);
        duplicates++;
        continue;
      }
      seenKeys.add(event.key);
      const index = wanted.findIndex((w) => w.key === event.key);
      if (index < 0) {
        const why = expected.has(revision) ? 'the watch does not select it' : 'no such revision was committed';
        flag('unexpected-event', revision, `${event.type} delivered, but ${why}`, event.key);
        continue;
      }
      if (index < position) flag('out-of-order', revision, `delivered out of the revision's commit order`, event.key);
      position = Math.max(position, index);
      checkEvent(spec, wanted[index]!, event, (kind, message) => flag(kind, revision, message, event.key));
    }
    for (const missing of wanted.filter((w) => !seenKeys.has(w.key))) flag('gap', revision, `${missing.type} never delivered, though revision ${revision} was`, missing.key);
    // A redelivered revision is reported as the duplicate it is, not also as split.
    if (entry.responses.size > 1 && duplicates === 0) flag('split-revision', revision, `events of one revision arrived in ${entry.responses.size} responses`);
  }
  for (const [revision, events] of expected) {
    if (revision < spec.startRevision || revision > lastRevision || delivered.has(revision)) continue;
    for (const missing of events.filter((event) => selects(spec, event))) {
      flag('gap', revision, `${missing.type} never delivered, though the watcher saw revision ${lastRevision}`, missing.key);
    }
  }
}

function checkEvent(spec: WatchSpec, wanted: ExpectedEvent, event: WatchEvent, flag: (kind: WatchViolationKind, message: string) => void): void {
  const fields: [string, unknown, unknown][] = [
    ['type', event.type, wanted.type],
    ['value', event.value, wanted.kv?.value],
    ['createRevision', event.createRevision, wanted.kv?.createRevision],
    ['version', event.version, wanted.kv?.version],
  ];
  for (const [name, got, want] of fields) {
    // Optional fields are compared only when recorded; the type always is.
    if ((got !== undefined || name === 'type') && got !== want) flag('wrong-event', `${name} is ${describeValue(got)}, the committed write made it ${describeValue(want)}`);
  }
  if (spec.prevKv !== true) return;
  const got = event.prevKv ?? null;
  const want = wanted.prevKv;
  const same =
    got === null || want === null
      ? got === want
      : got.key === want.key && got.value === want.value && got.createRevision === want.createRevision && got.modRevision === want.modRevision && got.version === want.version;
  if (!same) flag('wrong-prev-kv', `prev_kv is ${describeValue(got)}, the key held ${describeValue(want)}`);
}
