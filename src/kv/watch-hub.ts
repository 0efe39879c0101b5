// State Watch: clients watch a key, a range or a prefix from a revision and
// receive every change after it, in revision order, with no gaps and no
// duplicates, all changes of one revision in one response. Watchers at the
// head of history ("synced") get events as revisions commit. A watcher that
// starts in the past, or whose bounded buffer fills because its client reads
// slowly, is "unsynced": it stops receiving live events and instead replays
// history from the store in bounded batches as its buffer drains, exactly as
// etcd's watchableStore does, so a slow client costs at most its buffer and
// never loses events. If the history it needs has been compacted it is
// cancelled with the compaction revision, so the client can resync.
//
// Delivery is pull-based: onReady tells the gRPC layer a watcher has
// something, and take() hands out one response at a time.

import { assert, fail } from '../assert.js';
import { KvError } from './errors.js';
import { keySpan, spanContains, type KeySpan } from './key-bytes.js';
import { toKeyValue } from './key-history.js';
import type { WatchSource } from './kv-state-machine.js';
import type { Change } from './mvcc-store.js';
import type { KeyValue } from './types.js';

export interface WatchRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** First revision wanted; 0 or absent: the next one. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** For a delete: the key and modRevision only, as etcd sends it. */
  readonly kv: KeyValue;
  readonly prevKv: KeyValue | null;
}

export type WatchResponse =
  | { readonly kind: 'events'; readonly watchId: number; readonly revision: number; readonly events: readonly WatchEvent[] }
  | { readonly kind: 'progress'; readonly watchId: number; readonly revision: number }
  | { readonly kind: 'canceled'; readonly watchId: number; readonly revision: number; readonly compactRevision: number; readonly reason: string };

export interface WatchHubOptions {
  /** Events a watcher may hold undelivered before it falls back to replaying history. */
  readonly watchBufferEvents?: number;
  /** Revisions one catch-up step replays for one watcher. */
  readonly catchUpBatchRevisions?: number;
  /** Events in one response (whole revisions only; one revision may exceed it alone). */
  readonly maxResponseEvents?: number;
  /** Estimated bytes in one response (whole revisions only). */
  readonly maxResponseBytes?: number;
  readonly maxWatchers?: number;
}

type EventsItem = { readonly kind: 'events'; readonly revision: number; readonly headerRevision: number; readonly events: readonly WatchEvent[]; readonly bytes: number };

/** What a watcher's queue holds. Items never change once made, so one can sit in many queues. */
type Item =
  | EventsItem
  | { readonly kind: 'progress'; readonly revision: number }
  | { readonly kind: 'canceled'; readonly revision: number; readonly compactRevision: number; readonly reason: string };

interface Watcher {
  readonly id: number;
  readonly span: KeySpan;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  /** Synced watchers skip revisions below this (a watch that starts in the future). */
  minRevision: number;
  /** Unsynced only: the next revision to replay. */
  nextRevision: number;
  synced: boolean;
  readonly queue: Item[];
  bufferedEvents: number;
  /** Cancelled by compaction: waiting only to hand out its last response. */
  finished: boolean;
}

const eventOverheadBytes = 48;

export class WatchHub {
  private readonly watchers = new Map<number, Watcher>();
  private readonly keyWatchers = new Map<string, Set<Watcher>>();
  private readonly rangeWatchers = new Set<Watcher>();
  private readonly unsynced = new Set<Watcher>();
  /** Events made from the changes of one revision, the last one fanned out (see eventOf). */
  private events = new Map<Change, { plain?: WatchEvent; withPrevious?: WatchEvent }>();
  private eventsRevision = -1;
  private nextWatchId = 1;
  private lastRevision: number;
  private readyListener: (watchId: number) => void = () => {};
  /**
   * Ready signals wait while the hub is inside one of its own operations and
   * go out when the outermost one ends. A listener takes responses at once,
   * and taking can replay a lagging watcher's history: were that to happen in
   * the middle of a replay step, the watcher's position would not have moved
   * yet and the same revision would be replayed twice (then a later one skipped).
   */
  private depth = 0;
  private readonly pendingReady = new Set<number>();
  private taking: Watcher | null = null;
  private readonly bufferEvents: number;
  private readonly batchRevisions: number;
  private readonly responseEvents: number;
  private readonly responseBytes: number;
  private readonly maxWatchers: number;

  constructor(private readonly source: WatchSource, options: WatchHubOptions = {}) {
    this.bufferEvents = options.watchBufferEvents ?? 1024;
    this.batchRevisions = options.catchUpBatchRevisions ?? 1000;
    this.responseEvents = options.maxResponseEvents ?? 1000;
    this.responseBytes = options.maxResponseBytes ?? 1024 * 1024;
    this.maxWatchers = options.maxWatchers ?? 100_000;
    assert(this.bufferEvents > 0 && this.batchRevisions > 0 && this.responseEvents > 0 && this.responseBytes > 0, 'watch limits must be positive');
    this.lastRevision = source.revision;
    source.onCommit((revision, changes) => this.operation(() => this.committed(revision, changes)));
    source.onRestore?.(() => this.operation(() => this.restored()));
  }

  /** Called whenever a watcher with nothing pending gets something to take. */
  onReady(listener: (watchId: number) => void): void {
    this.readyListener = listener;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  watch(request: WatchRequest): { watchId: number; revision: number } {
    if (request.key.length === 0) throw new KvError('empty-key');
    if (this.watchers.size >= this.maxWatchers) throw new RangeError(`too many watchers (${this.maxWatchers}): cancel some first`);
    const current = this.source.revision;
    const start = request.startRevision ?? 0;
    const watcher: Watcher = {
      id: this.nextWatchId++,
      span: keySpan(request.key, request.rangeEnd),
      prevKv: request.prevKv === true,
      noPut: request.noPut === true,
      noDelete: request.noDelete === true,
      minRevision: start <= 0 ? current + 1 : start,
      nextRevision: start <= 0 ? current + 1 : start,
      synced: false,
      queue: [],
      bufferedEvents: 0,
      finished: false,
    };
    this.watchers.set(watcher.id, watcher);
    if (watcher.nextRevision > current) this.markSynced(watcher);
    else {
      this.unsynced.add(watcher);
      this.operation(() => this.catchUp(watcher));
    }
    return { watchId: watcher.id, revision: current };
  }

  cancel(watchId: number): boolean {
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined) return false;
    this.remove(watcher);
    return true;
  }

  /** Queues a progress notification (current revision, no events) for every synced watcher, as etcd's RequestProgress. */
  requestProgress(): void {
    this.operation(() => {
      for (const watcher of this.watchers.values()) this.progress(watcher.id);
    });
  }

  /** Progress for one watcher; only a synced one can promise it has seen everything up to now. */
  progress(watchId: number): boolean {
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined || !watcher.synced) return false;
    this.operation(() => this.enqueue(watcher, { kind: 'progress', revision: this.source.revision }));
    return true;
  }

  /** Events buffered for a watcher, not yet taken. */
  pendingEvents(watchId: number): number {
    return this.watchers.get(watchId)?.bufferedEvents ?? 0;
  }

  /** Whether take() may have something for this watcher now: a queued response, or history still to replay. */
  hasPending(watchId: number): boolean {
    const watcher = this.watchers.get(watchId);
    return watcher !== undefined && (watcher.queue.length > 0 || (!watcher.synced && !watcher.finished));
  }

  isSynced(watchId: number): boolean {
    return this.watchers.get(watchId)?.synced ?? false;
  }

  /** The next response for a watcher, or null if nothing is pending. Call it until null: a watcher being taken from gets no ready signal. */
  take(watchId: number): WatchResponse | null {
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined) return null;
    return this.operation(() => {
      // The caller takes until null, so refilling this watcher needs no ready signal (one would only nest the caller).
      this.taking = watcher;
      try {
        if (!watcher.synced && watcher.queue.length === 0) this.catchUp(watcher);
        const response = this.pack(watcher);
        if (watcher.finished && watcher.queue.length === 0) this.remove(watcher);
        else if (!watcher.synced && watcher.queue.length === 0) this.catchUp(watcher);
        return response;
      } finally {
        this.taking = null;
      }
    });
  }

  /** One bounded replay step for every unsynced watcher; the node calls it periodically (etcd: every 100 ms). */
  syncUnsynced(): void {
    this.operation(() => {
      for (const watcher of [...this.unsynced]) this.catchUp(watcher);
    });
  }

  private pack(watcher: Watcher): WatchResponse | null {
    const first = watcher.queue[0];
    if (first === undefined) return null;
    if (first.kind !== 'events') {
      watcher.queue.shift();
      return first.kind === 'progress'
        ? { kind: 'progress', watchId: watcher.id, revision: first.revision }
        : { kind: 'canceled', watchId: watcher.id, revision: first.revision, compactRevision: first.compactRevision, reason: first.reason };
    }
    // The first item always goes, and alone (the common case) its events array goes as it is: items never change.
    watcher.queue.shift();
    watcher.bufferedEvents -= first.events.length;
    let events: readonly WatchEvent[] = first.events;
    let bytes = first.bytes;
    let headerRevision = first.headerRevision;
    let merged: WatchEvent[] | null = null;
    while (watcher.queue.length > 0) {
      const item = watcher.queue[0]!;
      if (item.kind !== 'events') break;
      if (events.length + item.events.length > this.responseEvents || bytes + item.bytes > this.responseBytes) break;
      watcher.queue.shift();
      if (merged === null) events = merged = [...events];
      merged.push(...item.events);
      bytes += item.bytes;
      headerRevision = Math.max(headerRevision, item.headerRevision);
      watcher.bufferedEvents -= item.events.length;
    }
    assert(watcher.bufferedEvents >= 0, 'buffered event count never goes negative');
    return { kind: 'events', watchId: watcher.id, revision: headerRevision, events };
  }

  private committed(revision: number, changes: readonly Change[]): void {
    if (revision !== this.lastRevision + 1) fail(`revisions reach the hub in order: ${this.lastRevision} then ${revision}`);
    this.lastRevision = revision;
    // Watchers that want every change of the revision (with or without previous values) share one
    // queued item, built once: a put fanned out to a hundred watchers is one item, not a hundred.
    let plain: EventsItem | null = null;
    let withPrevious: EventsItem | null = null;
    const whole = (prevKv: boolean): EventsItem => prevKv
      ? (withPrevious ??= this.eventsItem(revision, revision, changes.map((change) => this.eventOf(change, revision, true))))
      : (plain ??= this.eventsItem(revision, revision, changes.map((change) => this.eventOf(change, revision, false))));
    if (changes.length === 1) {
      // One change (every put, most deletes): a watcher wants all of it or none, so no lists are gathered.
      // Watchers dropped to unsynced leave the sets being walked; a set walk skips what is deleted before it is reached.
      const change = changes[0]!;
      this.forWatchersOf(change, (watcher) => {
        if (this.wantsAt(watcher, revision, change)) this.deliver(watcher, revision, whole(watcher.prevKv));
      });
      return;
    }
    const matched = new Map<Watcher, Change[]>();
    for (const change of changes) {
      this.forWatchersOf(change, (watcher) => {
        if (!this.wantsAt(watcher, revision, change)) return;
        const list = matched.get(watcher);
        if (list === undefined) matched.set(watcher, [change]);
        else list.push(change);
      });
    }
    for (const [watcher, list] of matched) {
      // A watcher matches a change once at most, so a list as long as the revision is the revision.
      const item = list.length === changes.length
        ? whole(watcher.prevKv)
        : this.eventsItem(revision, revision, list.map((change) => this.eventOf(change, revision, watcher.prevKv)));
      this.deliver(watcher, revision, item);
    }
  }

  /** Synced watchers whose key or range holds the change's key (each at most once). */
  private forWatchersOf(change: Change, visit: (watcher: Watcher) => void): void {
    const exact = this.keyWatchers.get(change.key);
    if (exact !== undefined) for (const watcher of exact) visit(watcher);
    for (const watcher of this.rangeWatchers) if (spanContains(watcher.span, change.key)) visit(watcher);
  }

  private wantsAt(watcher: Watcher, revision: number, change: Change): boolean {
    return revision >= watcher.minRevision && this.wants(watcher, change);
  }

  /** Queues a committed revision's events, or, when the watcher's buffer cannot take them, drops it to unsynced to replay the revision from history later. */
  private deliver(watcher: Watcher, revision: number, item: EventsItem): void {
    if (watcher.bufferedEvents > 0 && watcher.bufferedEvents + item.events.length > this.bufferEvents) {
      this.markUnsynced(watcher, revision);
      return;
    }
    watcher.bufferedEvents += item.events.length;
    this.enqueue(watcher, item);
  }

  private restored(): void {
    // Everything up to the old revision was delivered; the new state may be
    // far ahead, so every synced watcher replays from where it was.
    const resumeAt = this.lastRevision + 1;
    this.lastRevision = this.source.revision;
    for (const watcher of this.watchers.values()) {
      if (watcher.synced) this.markUnsynced(watcher, Math.max(resumeAt, watcher.minRevision));
    }
    this.syncUnsynced();
  }

  private catchUp(watcher: Watcher): void {
    if (watcher.synced || watcher.finished) return;
    const compactRevision = this.source.compactRevision;
    if (watcher.nextRevision < compactRevision) {
      this.unsynced.delete(watcher);
      this.unindex(watcher);
      watcher.finished = true;
      const reason = `required revision ${watcher.nextRevision} has been compacted (compact revision ${compactRevision}): watch again from a later revision`;
      this.enqueue(watcher, { kind: 'canceled', revision: this.source.revision, compactRevision, reason });
      return;
    }
    const current = this.source.revision;
    for (let replayed = 0; replayed < this.batchRevisions && watcher.nextRevision <= current; replayed++) {
      const changes = this.source.changesAt(watcher.nextRevision);
      if (changes === null) fail(`history at ${watcher.nextRevision} is retained above compaction ${compactRevision}`);
      const list = changes.filter((change) => this.wants(watcher, change));
      if (list.length > 0) {
        if (watcher.bufferedEvents > 0 && watcher.bufferedEvents + list.length > this.bufferEvents) return;
        this.enqueueEvents(watcher, watcher.nextRevision, current, list);
      }
      watcher.nextRevision++;
    }
    if (watcher.nextRevision > current) {
      watcher.minRevision = Math.max(watcher.minRevision, watcher.nextRevision);
      this.markSynced(watcher);
    }
  }

  private wants(watcher: Watcher, change: Change): boolean {
    if (change.entry.value === null ? watcher.noDelete : watcher.noPut) return false;
    return spanContains(watcher.span, change.key);
  }

  private enqueueEvents(watcher: Watcher, revision: number, headerRevision: number, changes: readonly Change[]): void {
    const events = changes.map((change) => this.eventOf(change, revision, watcher.prevKv));
    watcher.bufferedEvents += events.length;
    this.enqueue(watcher, this.eventsItem(revision, headerRevision, events));
  }

  private eventsItem(revision: number, headerRevision: number, events: readonly WatchEvent[]): EventsItem {
    let bytes = 0;
    for (const { kv, prevKv } of events) {
      bytes += eventOverheadBytes + kv.key.length + kv.value.length + (prevKv === null ? 0 : prevKv.key.length + prevKv.value.length);
    }
    return { kind: 'events', revision, headerRevision, events, bytes };
  }

  // One event object per change (two when some watcher asks for prev_kv),
  // shared by every watcher it goes to: a change fanned out to a hundred
  // watchers is converted once, and the API layer can encode it once too.
  // Only one revision's are kept, so history never carries them.
  private eventOf(change: Change, revision: number, withPrevious: boolean): WatchEvent {
    if (revision !== this.eventsRevision) {
      this.events = new Map();
      this.eventsRevision = revision;
    }
    let cached = this.events.get(change);
    if (cached === undefined) this.events.set(change, (cached = {}));
    const wantsPrevious = withPrevious && change.previous !== null;
    const hit = wantsPrevious ? cached.withPrevious : cached.plain;
    if (hit !== undefined) return hit;
    const kv = wantsPrevious && cached.plain !== undefined
      ? cached.plain.kv
      : change.entry.value === null
        ? { ...toKeyValue(change.key, change.entry), modRevision: revision }
        : toKeyValue(change.key, change.entry);
    const event: WatchEvent = { type: change.entry.value === null ? 'delete' : 'put', kv, prevKv: wantsPrevious ? toKeyValue(change.key, change.previous!) : null };
    if (wantsPrevious) cached.withPrevious = event;
    else cached.plain = event;
    return event;
  }

  private enqueue(watcher: Watcher, item: Item): void {
    const wasEmpty = watcher.queue.length === 0;
    watcher.queue.push(item);
    if (!wasEmpty || watcher === this.taking) return;
    if (this.depth > 0) this.pendingReady.add(watcher.id);
    else this.readyListener(watcher.id);
  }

  /** Runs a hub operation; ready signals raised inside it go out once the outermost operation is over. */
  private operation<T>(body: () => T): T {
    this.depth++;
    try {
      return body();
    } finally {
      this.depth--;
      if (this.depth === 0) this.flushReady();
    }
  }

  private flushReady(): void {
    for (const watchId of this.pendingReady) {
      this.pendingReady.delete(watchId);
      if (this.watchers.has(watchId)) this.readyListener(watchId);
    }
  }

  private markSynced(watcher: Watcher): void {
    this.unsynced.delete(watcher);
    watcher.synced = true;
    if (watcher.span.single) {
      let set = this.keyWatchers.get(watcher.span.low);
      if (set === undefined) this.keyWatchers.set(watcher.span.low, (set = new Set()));
      set.add(watcher);
    } else this.rangeWatchers.add(watcher);
  }

  private markUnsynced(watcher: Watcher, nextRevision: number): void {
    this.unindex(watcher);
    watcher.nextRevision = nextRevision;
    this.unsynced.add(watcher);
  }

  private unindex(watcher: Watcher): void {
    watcher.synced = false;
    if (watcher.span.single) {
      const set = this.keyWatchers.get(watcher.span.low);
      set?.delete(watcher);
      if (set?.size === 0) this.keyWatchers.delete(watcher.span.low);
    } else this.rangeWatchers.delete(watcher);
  }

  private remove(watcher: Watcher): void {
    this.unindex(watcher);
    this.unsynced.delete(watcher);
    this.watchers.delete(watcher.id);
  }
}
