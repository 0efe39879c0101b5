// Watchers on the etcd3 client's raw watch stream. Each resumes after any
// break (an error, the member dying, or silence longer than silenceMs while
// the run goes on) from the revision after the last event it received, or
// from its start if it received none: that is the resumption the watch
// guarantees promise, so a gap or a duplicate across streams is the
// server's. (etcd3's own Watcher resumes from the last header revision + 1,
// which skips events when a catching-up stream breaks; the harness does not
// rely on it.)

import type { Etcd3, IWatchResponse } from 'etcd3';
import type { WatchSpec } from '../check/index.js';
import type { Random } from '../runtime/random.js';
import { errorText } from './clients.js';
import { watchEvents } from './etcd-wire.js';
import type { RecordedWatcher } from './history.js';

export interface WatchWorkloadContext {
  readonly stopped: () => boolean;
  readonly silenceMs: number;
  readonly maxEventsPerWatcher: number;
  readonly log: (line: string) => void;
}

interface Duplex {
  on(event: 'data', listener: (response: IWatchResponse) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: unknown) => void): unknown;
  write(request: unknown): unknown;
  cancel?: () => void;
  end(): unknown;
}

function keyBuffer(key: string): Buffer {
  return key === '\0' ? Buffer.from([0]) : Buffer.from(key);
}

export class WatchClient {
  readonly record: RecordedWatcher;
  private events = 0;
  private closed = false;
  private stream: Duplex | null = null;

  constructor(spec: WatchSpec, host: string, private readonly etcd: Etcd3, private readonly random: Random, private readonly ctx: WatchWorkloadContext) {
    this.record = { spec, host, responses: [], streams: 0, cancelReasons: [], lastRevision: spec.startRevision - 1 };
  }

  /** Keeps a stream open until closed, reopening it after every break. */
  async run(): Promise<void> {
    while (!this.closed && this.events < this.ctx.maxEventsPerWatcher) {
      const outcome = await this.oneStream();
      if (outcome === 'canceled') return;
      await sleep(100 + this.random.nextInt(0, 200));
    }
  }

  /** Stops the watcher after its current stream. */
  close(): void {
    this.closed = true;
    this.endStream();
  }

  private endStream(): void {
    const stream = this.stream;
    this.stream = null;
    try {
      stream?.cancel?.();
      stream?.end();
    } catch {
      // already broken
    }
  }

  private async oneStream(): Promise<'broken' | 'canceled'> {
    const spec = this.record.spec;
    let stream: Duplex;
    try {
      stream = (await this.etcd.watchClient.watch()) as unknown as Duplex;
    } catch {
      return 'broken';
    }
    this.stream = stream;
    this.record.streams++;
    const startRevision = this.record.lastRevision + 1;
    return new Promise((resolve) => {
      let silence: NodeJS.Timeout | null = null;
      let settled = false;
      const finish = (outcome: 'broken' | 'canceled'): void => {
        if (settled) return;
        settled = true;
        if (silence !== null) clearTimeout(silence);
        if (this.stream === stream) this.endStream();
        resolve(outcome);
      };
      const armSilence = (): void => {
        if (silence !== null) clearTimeout(silence);
        // Silence is normal when nobody writes; a stream to a paused or cut-off member looks the same, so rotate.
        silence = setTimeout(() => finish('broken'), this.ctx.silenceMs);
      };
      stream.on('data', (response) => {
        armSilence();
        if (response.canceled) {
          const reason = `${response.cancel_reason || 'canceled'}${response.compact_revision !== '0' ? ` (compact revision ${response.compact_revision})` : ''}`;
          this.record.cancelReasons.push(reason);
          this.ctx.log(`watcher ${spec.watcherId} canceled by the server: ${reason}`);
          finish('canceled');
          return;
        }
        const events = watchEvents(response);
        if (events.length === 0) return;
        this.record.responses.push(events);
        this.events += events.length;
        this.record.lastRevision = Math.max(this.record.lastRevision, ...events.map((e) => e.revision));
        if (this.events >= this.ctx.maxEventsPerWatcher) finish('canceled');
      });
      stream.on('error', (error) => {
        if (!this.closed && !settled) this.ctx.log(`watcher ${spec.watcherId} stream broke: ${errorText(error)}`);
        finish('broken');
      });
      stream.on('end', () => finish('broken'));
      if (this.closed) {
        finish('broken');
        return;
      }
      armSilence();
      stream.write({
        create_request: {
          key: keyBuffer(spec.key),
          ...(spec.rangeEnd === undefined ? {} : { range_end: keyBuffer(spec.rangeEnd) }),
          start_revision: startRevision,
          prev_kv: spec.prevKv === true,
          filters: (spec.filters ?? []).map((f) => (f === 'noput' ? 'Noput' : 'Nodelete')),
        },
      });
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
