// The clients of one run: key-value clients pinned one per member (so some
// always talk to a member that is cut off, paused or stale) plus one spread
// over all members, a lease client, and three watchers: a prefix from
// revision 1 with prev_kv, everything from the revision at start, and one key
// without deletes.

import type { Etcd3 } from 'etcd3';
import { prefixRangeEnd, type WatchSpec } from '../check/index.js';
import type { Random } from '../runtime/random.js';
import { makeClient } from './clients.js';
import type { Cluster } from './cluster.js';
import { KvClient, widgetKeys, widgetPrefix, type KvWorkloadContext } from './kv-workload.js';
import { LeaseClient } from './lease-workload.js';
import { WatchClient, type WatchWorkloadContext } from './watch-workload.js';

export interface WorkloadOptions {
  readonly kvClients: number;
  readonly maxLeases: number;
  readonly silenceMs: number;
  readonly maxEventsPerWatcher: number;
}

const clientNames = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

export class Workload {
  readonly kv: KvClient[] = [];
  readonly watchers: WatchClient[] = [];
  lease: LeaseClient | null = null;
  private readonly etcds: Etcd3[] = [];
  private running: Promise<void>[] = [];
  private watching: Promise<void>[] = [];

  constructor(private readonly cluster: Cluster, private readonly random: Random, private readonly ctx: KvWorkloadContext, private readonly options: WorkloadOptions, private readonly watchCtx: WatchWorkloadContext) {}

  private client(hosts: readonly string[]): Etcd3 {
    const etcd = makeClient(hosts);
    this.etcds.push(etcd);
    return etcd;
  }

  start(startRevision: number): void {
    const names = this.cluster.names;
    const everywhere = this.cluster.clientUrls();
    for (let i = 0; i < this.options.kvClients; i++) {
      const pinned = i < names.length ? names[i]! : undefined;
      const etcd = this.client(pinned === undefined ? everywhere : [this.cluster.slot(pinned).clientUrl]);
      this.kv.push(new KvClient(clientNames[i % clientNames.length]! + (i >= clientNames.length ? String(i) : ''), pinned ?? 'any', etcd, this.random.fork(), this.ctx));
    }
    this.lease = new LeaseClient('lessee', 'any', this.client(everywhere), this.random.fork(), this.ctx, {
      maxLeases: this.options.maxLeases,
      minTtlSeconds: 3,
      maxTtlSeconds: 6,
      readEveryMs: 250,
    });
    const specs: WatchSpec[] = [
      { watcherId: 'watch-widgets', key: widgetPrefix, rangeEnd: prefixRangeEnd(widgetPrefix), startRevision: 1, prevKv: true },
      { watcherId: 'watch-all', key: '\0', rangeEnd: '\0', startRevision: startRevision + 1 },
      { watcherId: 'watch-boston', key: widgetKeys[0]!, startRevision: 1, filters: ['nodelete'], prevKv: true },
    ];
    for (const spec of specs) this.watchers.push(new WatchClient(spec, 'any', this.client(everywhere), this.random.fork(), this.watchCtx));
    this.running = [...this.kv.map((c) => c.run()), this.lease.run()];
    this.watching = this.watchers.map((w) => w.run());
  }

  /** Waits for the request loops, which end once `stopped` holds (each request has a deadline). */
  async stopped(): Promise<void> {
    await Promise.all(this.running);
  }

  async closeWatchers(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    await Promise.all(this.watching);
  }

  close(): void {
    for (const etcd of this.etcds) etcd.close();
  }
}
