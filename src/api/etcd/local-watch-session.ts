// One client watch stream on top of the member's shared WatchHub. The hub
// numbers watchers across all streams; etcd numbers them per stream from 0,
// and clients (the etcd3 npm client among them) rely on that, so the session
// keeps the mapping both ways and routes the hub's "ready" signals to the
// stream that owns the watcher.

import { KvError } from '../../kv/errors.js';
import type { WatchHub, WatchRequest, WatchResponse } from '../../kv/watch-hub.js';
import type { ResponseHeader, WatchSession } from './backend.js';
import { EtcdError, etcdMessages } from './etcd-errors.js';

export interface WatchRouter {
  readonly hub: WatchHub;
  /** Header at the current revision. */
  header(): ResponseHeader;
  headerAt(revision: number): ResponseHeader;
  route(hubWatchId: number, session: LocalWatchSession | null): void;
}

export class LocalWatchSession implements WatchSession {
  private readonly hubIdByStreamId = new Map<number, number>();
  private readonly streamIdByHubId = new Map<number, number>();
  /** Hub watchers that may have responses waiting, in the order they became ready. */
  private readonly ready = new Set<number>();
  private nextStreamId = 0;
  private listener: () => void = () => {};
  private closed = false;

  constructor(
    private readonly router: WatchRouter,
    private readonly maxWatches: number,
  ) {}

  get watchCount(): number {
    return this.hubIdByStreamId.size;
  }

  create(request: WatchRequest, requestedWatchId: number | null): { watchId: number; header: ResponseHeader } {
    if (this.closed) throw new EtcdError('Canceled', 'etcdserver: watch stream is closed');
    if (request.key.length === 0) throw new KvError('empty-key');
    if (this.hubIdByStreamId.size >= this.maxWatches) {
      throw new EtcdError('ResourceExhausted', `etcdserver: too many watches on one stream (${this.maxWatches}): cancel some or open another stream`);
    }
    if (requestedWatchId !== null && this.hubIdByStreamId.has(requestedWatchId)) throw new EtcdError('InvalidArgument', etcdMessages.watchDuplicateId);
    const streamId = requestedWatchId ?? this.allocateStreamId();
    const header = this.router.header();
    let hubId: number;
    try {
      hubId = this.router.hub.watch(request).watchId;
    } catch (error) {
      if (error instanceof RangeError) throw new EtcdError('ResourceExhausted', `etcdserver: ${error.message}`);
      throw error;
    }
    this.hubIdByStreamId.set(streamId, hubId);
    this.streamIdByHubId.set(hubId, streamId);
    this.router.route(hubId, this);
    // Whatever the hub queued during watch() (catch-up, or a cancel after
    // compaction) signalled before the route existed; look once now.
    this.markReady(hubId);
    return { watchId: streamId, header };
  }

  private allocateStreamId(): number {
    while (this.hubIdByStreamId.has(this.nextStreamId)) this.nextStreamId++;
    return this.nextStreamId++;
  }

  cancel(watchId: number): boolean {
    const hubId = this.hubIdByStreamId.get(watchId);
    if (hubId === undefined) return false;
    this.forget(watchId, hubId);
    this.router.hub.cancel(hubId);
    return true;
  }

  progress(): ResponseHeader | null {
    for (const hubId of this.streamIdByHubId.keys()) if (!this.router.hub.isSynced(hubId)) return null;
    return this.router.header();
  }

  onReady(listener: () => void): void {
    this.listener = listener;
  }

  /** The hub says this watcher now has something. */
  markReady(hubId: number): void {
    if (!this.streamIdByHubId.has(hubId)) return;
    this.ready.add(hubId);
    this.listener();
  }

  take(): { response: WatchResponse; header: ResponseHeader } | null {
    for (const hubId of this.ready) {
      this.ready.delete(hubId);
      const streamId = this.streamIdByHubId.get(hubId);
      if (streamId === undefined) continue;
      const response = this.router.hub.take(hubId);
      if (response === null) continue;
      // Round robin: a watcher with more to take goes to the back of the line.
      if (response.kind === 'canceled') this.forget(streamId, hubId);
      else if (this.router.hub.hasPending(hubId)) this.ready.add(hubId);
      return { response: { ...response, watchId: streamId }, header: this.router.headerAt(response.revision) };
    }
    return null;
  }

  private forget(streamId: number, hubId: number): void {
    this.hubIdByStreamId.delete(streamId);
    this.streamIdByHubId.delete(hubId);
    this.ready.delete(hubId);
    this.router.route(hubId, null);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [streamId, hubId] of [...this.hubIdByStreamId]) {
      this.forget(streamId, hubId);
      this.router.hub.cancel(hubId);
    }
    this.listener = () => {};
  }
}
