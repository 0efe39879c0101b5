// The watches of one `trellis watch` on one Watch stream, kept alive the way
// etcd's client keeps them: when the stream breaks (its member stopped, or
// lost its leader), dial again and re-create each watch from the revision
// after the last one it delivered, so no event is lost or repeated.

import { Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import { isServiceError } from './cli-error.js';
import type { Connection, Wire } from './connection.js';

export interface WatchSpec {
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  /** 0: from now. */
  readonly startRevision: bigint;
  readonly prevKv: boolean;
  readonly progressNotify: boolean;
}

export interface WatchListener {
  /** Events, a progress notification, or the watch's cancellation (response.canceled); watcher is the index add() returned. */
  response(watcher: number, response: Wire): void;
  /** The stream failed for good (an error no reconnection can fix). */
  failed(error: unknown): void;
}

interface Watcher {
  readonly spec: WatchSpec;
  nextRevision: bigint;
  watchId: string | null;
  canceled: boolean;
}

/** Longest pause between attempts to get a broken watch stream back. */
const maxRetryDelayMs = 5_000;
const firstRetryDelayMs = 100;
/**
 * gRPC codes after which the stream is re-created: UNAVAILABLE and INTERNAL,
 * as etcd's client does, and CANCELLED when this side did not cancel (a
 * grpc-js server shutting down cancels its streams where grpc-go's would
 * report UNAVAILABLE).
 */
export const retryableCodes: ReadonlySet<number> = new Set([1, 13, 14]);

export class WatchStream {
  private readonly watchers: Watcher[] = [];
  private readonly awaitingCreate: Watcher[] = [];
  private stream: ClientDuplexStream<Wire, Wire> | null = null;
  private closed = false;
  private retryDelayMs = firstRetryDelayMs;

  constructor(
    private readonly connect: (fresh: boolean) => Promise<Connection>,
    private readonly listener: WatchListener,
  ) {}

  async open(): Promise<void> {
    this.attach(await this.connect(false));
  }

  add(spec: WatchSpec): number {
    const watcher: Watcher = { spec, nextRevision: spec.startRevision, watchId: null, canceled: false };
    this.watchers.push(watcher);
    if (this.stream !== null) this.create(watcher);
    return this.watchers.length - 1;
  }

  requestProgress(): void {
    this.stream?.write({ progress_request: {} });
  }

  get active(): number {
    return this.watchers.filter((w) => !w.canceled).length;
  }

  close(): void {
    this.closed = true;
    this.stream?.cancel();
    this.stream = null;
  }

  private attach(connection: Connection): void {
    // Like etcdctl: a member that has lost its leader cancels the stream rather than serve stale events.
    const metadata = new Metadata();
    metadata.set('hasleader', 'true');
    const stream = connection.duplex('Watch', 'Watch', { metadata });
    this.stream = stream;
    this.awaitingCreate.length = 0;
    for (const watcher of this.watchers) watcher.watchId = null;
    stream.on('data', (response: Wire) => {
      if (stream === this.stream) this.receive(response);
    });
    stream.on('error', (error: unknown) => {
      if (stream === this.stream) this.broken(error);
    });
    stream.on('end', () => {
      if (stream === this.stream) this.broken(null);
    });
    for (const watcher of this.watchers) if (!watcher.canceled) this.create(watcher);
  }

  private create(watcher: Watcher): void {
    this.awaitingCreate.push(watcher);
    const { key, rangeEnd, prevKv, progressNotify } = watcher.spec;
    this.stream!.write({
      create_request: { key, range_end: rangeEnd, start_revision: watcher.nextRevision.toString(), prev_kv: prevKv, progress_notify: progressNotify },
    });
  }

  private receive(response: Wire): void {
    this.retryDelayMs = firstRetryDelayMs;
    const header: Wire = response['header'] ?? {};
    // A progress notification for the whole stream (asked for with requestProgress): every watch gets it, as in etcd's client.
    if (String(response['watch_id']) === '-1' && response['created'] !== true) {
      for (const watcher of this.watchers) if (!watcher.canceled && watcher.watchId !== null) this.deliver(watcher, response);
      return;
    }
    const watcher = response['created'] === true ? this.awaitingCreate.shift() : this.watchers.find((w) => w.watchId === String(response['watch_id']) && !w.canceled);
    if (watcher === undefined) return;
    if (response['created'] === true) {
      watcher.watchId = String(response['watch_id']);
      // From now: later events start after the revision the watch was created at.
      if (watcher.nextRevision === 0n) watcher.nextRevision = BigInt(header['revision'] ?? '0') + 1n;
      if (response['canceled'] !== true) return;
    }
    this.deliver(watcher, response);
  }

  private deliver(watcher: Watcher, response: Wire): void {
    const header: Wire = response['header'] ?? {};
    const events: Wire[] = response['events'] ?? [];
    if (events.length > 0) watcher.nextRevision = BigInt(events[events.length - 1]!['kv']?.['mod_revision'] ?? '0') + 1n;
    else if (response['canceled'] !== true && BigInt(header['revision'] ?? '0') >= watcher.nextRevision) watcher.nextRevision = BigInt(header['revision']) + 1n;
    if (response['canceled'] === true) watcher.canceled = true;
    this.listener.response(this.watchers.indexOf(watcher), response);
  }

  private broken(error: unknown): void {
    this.stream = null;
    if (this.closed || this.active === 0) return;
    if (error !== null && (!isServiceError(error) || !retryableCodes.has(error.code))) {
      this.listener.failed(error);
      return;
    }
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    while (!this.closed) {
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, maxRetryDelayMs);
      if (this.closed) return;
      try {
        this.attach(await this.connect(true));
        return;
      } catch {
        // Still no member answering: wait and try again, as etcd's client does, until the user stops the watch.
      }
    }
  }
}
