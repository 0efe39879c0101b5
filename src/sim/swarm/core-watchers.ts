// The kv swarm's watchers: each watches a prefix (or one key) on one member
// and takes what the member's WatchHub has for it, as an etcd client reads
// its watch stream. When its member crashes, restarts, leaves the cluster,
// or simply after a while, the watcher moves to another member and resumes
// from the last revision it saw + 1 (State Watch: resumable). A watch
// cancelled by compaction starts over from the present, as a new record.
// Every record goes to checkWatches with the committed history; a
// cancellation is checked here: it must come only when the revision the
// watcher needed really was compacted.

import type { NodeId } from '../../ids.js';
import { prefixRangeEnd, type WatchEvent as CheckWatchEvent, type WatcherRecord, type WatchSpec } from '../../check/index.js';
import type { WatchEvent, WatchResponse } from '../../kv/watch-hub.js';
import type { Random } from '../../runtime/random.js';
import type { CoreNode } from '../../server/core-node.js';
import type { CoreCluster } from './core-cluster.js';
import { CommittedReplay, type CoreLedger } from './core-ledger.js';
import { bytes, checkKeyValue, text } from './core-requests.js';

interface Attachment {
  readonly member: NodeId;
  readonly node: CoreNode;
  readonly watchId: number;
  /** When the watcher moves on of its own accord. */
  readonly untilMs: number;
}

interface Watcher {
  readonly name: string;
  readonly shape: Omit<WatchSpec, 'watcherId' | 'startRevision'>;
  /** How often it takes its events: a slow reader's buffer fills, and it catches up from history. */
  readonly pollEveryMs: number;
  nextPollMs: number;
  records: number;
  spec: WatchSpec | null;
  responses: CheckWatchEvent[][];
  lastSeen: number;
  attachment: Attachment | null;
}

export interface WatchStatistics {
  events: number;
  responses: number;
  moves: number;
  cancelled: number;
  /** Events whose prev_kv lay below the member's compaction when delivered (etcd sends those without it). */
  prevKvsBelowCompaction: number;
}

export const watchPollIntervalMs = 100;
/** The slow reader takes its events this rarely: more than the swarm's watch buffer fills meanwhile. */
export const slowWatchPollIntervalMs = 1_500;

export class WatchClients {
  readonly statistics: WatchStatistics = { events: 0, responses: 0, moves: 0, cancelled: 0, prevKvsBelowCompaction: 0 };
  private readonly watchers: Watcher[];
  private readonly finished: WatcherRecord[] = [];
  /** Events delivered without prev_kv at or below their member's compaction revision (see excusePrevKvsBelowCompaction). */
  private readonly prevKvsMissing: { events: CheckWatchEvent[]; index: number; compactRevision: number }[] = [];
  private running = false;

  constructor(
    private readonly cluster: CoreCluster,
    private readonly members: ReadonlySet<NodeId>,
    private readonly ledger: CoreLedger,
    private readonly random: Random,
    private readonly report: (detail: string) => void,
  ) {
    const prefix = (name: string, key: string): Watcher => fresh(name, { key, rangeEnd: prefixRangeEnd(key), prevKv: true }, watchPollIntervalMs);
    this.watchers = [
      prefix('widget-watcher', 'widgets/'),
      prefix('gadget-watcher', 'gadgets/'),
      fresh('all-watcher', { key: '\0', rangeEnd: '\0', prevKv: true }, slowWatchPollIntervalMs),
      fresh('boston-watcher', { key: 'widgets/boston', filters: ['nodelete'], prevKv: true }, watchPollIntervalMs),
    ];
  }

  start(): void {
    this.running = true;
    const poll = (): void => {
      if (!this.running) return;
      const nowMs = this.cluster.world.nowMs();
      for (const watcher of this.watchers) {
        if (nowMs < watcher.nextPollMs) continue;
        watcher.nextPollMs = nowMs + watcher.pollEveryMs;
        this.poll(watcher);
      }
      this.cluster.world.after(watchPollIntervalMs, 'watchers', poll);
    };
    this.cluster.world.after(this.random.nextInt(0, watchPollIntervalMs), 'watchers', poll);
  }

  stop(): void {
    this.running = false;
  }

  /** Every record so far: finished ones (cancelled by compaction) and the current ones. */
  records(): WatcherRecord[] {
    this.excusePrevKvsBelowCompaction();
    const current = this.watchers.filter((w) => w.spec !== null).map((w) => ({ spec: w.spec!, responses: w.responses }));
    return [...this.finished, ...current];
  }

  /**
   * An event at revision r carries as prev_kv the key as of r - 1. When the
   * member had compacted at r or beyond by the time it delivered the event,
   * that is history no longer held: etcd then sends the event without
   * prev_kv, and so do we. Such an event (and only such: its revision at
   * or below the member's compaction when it was taken) is excused: it is
   * given the committed previous value, so the checker compares nothing. A
   * prev_kv missing above the compaction stays missing, and is reported.
   */
  private excusePrevKvsBelowCompaction(): void {
    const replay = new CommittedReplay(this.ledger.committed);
    for (const missing of this.prevKvsMissing.sort((a, b) => a.events[a.index]!.revision - b.events[b.index]!.revision)) {
      const event = missing.events[missing.index]!;
      replay.advanceTo(event.revision - 1);
      const previous = replay.range(event.key, undefined)[0];
      if (previous !== undefined) {
        missing.events[missing.index] = { ...event, prevKv: previous };
        this.statistics.prevKvsBelowCompaction++;
      }
    }
    this.prevKvsMissing.length = 0;
  }

  private poll(watcher: Watcher): void {
    const world = this.cluster.world;
    const attachment = watcher.attachment;
    if (attachment === null) return this.attach(watcher);
    const alive = world.status(attachment.member) !== 'crashed' && this.cluster.node(attachment.member) === attachment.node && !attachment.node.isStopped;
    if (!alive || !this.members.has(attachment.member) || attachment.node.isRemoved) return this.move(watcher);
    // A paused member cannot answer; the watcher waits, or moves on when its time there is up.
    if (world.status(attachment.member) === 'paused') {
      if (world.nowMs() >= attachment.untilMs) this.move(watcher);
      return;
    }
    for (let response = attachment.node.hub.take(attachment.watchId); response !== null; response = attachment.node.hub.take(attachment.watchId)) {
      if (!this.receive(watcher, response)) return;
    }
    if (world.nowMs() >= attachment.untilMs) this.move(watcher);
  }

  /** Takes one response; false when the watch ended (cancelled). */
  private receive(watcher: Watcher, response: WatchResponse): boolean {
    if (response.kind === 'progress') return true;
    if (response.kind === 'canceled') {
      this.statistics.cancelled++;
      const needed = watcher.lastSeen + 1;
      if (response.compactRevision <= needed || response.compactRevision > this.ledger.compactRevision) {
        this.report(`watcher ${watcher.spec!.watcherId} on ${watcher.attachment!.member} was cancelled at compact revision ${response.compactRevision}, but it needed revision ${needed} and the cluster compacted at ${this.ledger.compactRevision}`);
      }
      this.finished.push({ spec: watcher.spec!, responses: watcher.responses });
      watcher.spec = null;
      watcher.attachment = null;
      return false;
    }
    this.statistics.responses++;
    this.statistics.events += response.events.length;
    const compactRevision = watcher.attachment!.node.machine.kv.compactRevision;
    const events = response.events.map(toCheckEvent);
    events.forEach((event, index) => {
      if (event.prevKv === null && event.revision <= compactRevision) this.prevKvsMissing.push({ events, index, compactRevision });
    });
    watcher.responses.push(events);
    for (const event of response.events) watcher.lastSeen = Math.max(watcher.lastSeen, event.kv.modRevision);
    return true;
  }

  private move(watcher: Watcher): void {
    const attachment = watcher.attachment!;
    this.statistics.moves++;
    if (this.cluster.node(attachment.member) === attachment.node && !attachment.node.isStopped) attachment.node.hub.cancel(attachment.watchId);
    watcher.attachment = null;
    this.attach(watcher, attachment.member);
  }

  /** Watches on a running member (another than `leaving` if possible), resuming after the last revision seen. */
  private attach(watcher: Watcher, leaving?: NodeId): void {
    const world = this.cluster.world;
    const candidates = [...this.members].filter((id) => world.status(id) === 'running' && this.cluster.node(id) !== undefined && !this.cluster.node(id)!.isStopped && !this.cluster.node(id)!.isRemoved);
    const elsewhere = candidates.filter((id) => id !== leaving);
    const pool = elsewhere.length > 0 ? elsewhere : candidates;
    if (pool.length === 0) return;
    const member = pool[this.random.nextInt(0, pool.length)]!;
    const node = this.cluster.node(member)!;
    const resumeAt = watcher.spec === null ? 0 : watcher.lastSeen + 1;
    const shape = watcher.shape;
    const { watchId, revision } = node.hub.watch({
      key: bytes(shape.key),
      ...(shape.rangeEnd === undefined ? {} : { rangeEnd: bytes(shape.rangeEnd) }),
      startRevision: resumeAt,
      prevKv: shape.prevKv === true,
      noDelete: shape.filters?.includes('nodelete') === true,
      noPut: shape.filters?.includes('noput') === true,
    });
    if (watcher.spec === null) {
      watcher.records++;
      watcher.spec = { ...shape, watcherId: `${watcher.name}#${watcher.records}`, startRevision: revision + 1 };
      watcher.responses = [];
      watcher.lastSeen = revision;
    }
    watcher.attachment = { member, node, watchId, untilMs: world.nowMs() + 2_000 + this.random.nextInt(0, 8_000) };
  }
}

function fresh(name: string, shape: Omit<WatchSpec, 'watcherId' | 'startRevision'>, pollEveryMs: number): Watcher {
  return { name, shape, pollEveryMs, nextPollMs: 0, records: 0, spec: null, responses: [], lastSeen: 0, attachment: null };
}

function toCheckEvent(event: WatchEvent): CheckWatchEvent {
  const kv = event.kv;
  const prevKv = event.prevKv === null ? null : checkKeyValue(event.prevKv);
  if (event.type === 'delete') return { type: 'delete', key: text(kv.key), revision: kv.modRevision, prevKv };
  return { type: 'put', key: text(kv.key), revision: kv.modRevision, value: text(kv.value), createRevision: kv.createRevision, version: kv.version, prevKv };
}
