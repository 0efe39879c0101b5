// After the last heal: read the cluster's whole write history back through a
// watch from revision 1, compare hashkv on every member at one revision,
// then compact and check that old watches are canceled and old ranges
// refused on every member.

import type { Etcd3, IWatchResponse } from 'etcd3';
import type { CommittedRevision, WatchSpec } from '../check/index.js';
import type { Cluster } from './cluster.js';
import { deadline, errorText, hashKv } from './clients.js';
import { committedFromEvents } from './committed-check.js';
import { watchEvents } from './etcd-wire.js';
import type { CompactionReport, HashReport } from './verdict.js';

interface WatchStream {
  on(event: 'data', listener: (response: IWatchResponse) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: unknown) => void): unknown;
  write(request: unknown): unknown;
  cancel?: () => void;
  end(): unknown;
}

const everything = Buffer.from([0]);

/** Opens a watch over all keys and feeds responses to `take` until it returns true, the stream breaks or time runs out. */
async function watchAll(etcd: Etcd3, startRevision: number, timeoutMs: number, take: (response: IWatchResponse) => boolean): Promise<string | undefined> {
  const stream = (await etcd.watchClient.watch()) as unknown as WatchStream;
  return new Promise((resolve) => {
    let done = false;
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        stream.cancel?.();
        stream.end();
      } catch {
        // already closed
      }
      resolve(error);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    stream.on('data', (response) => {
      if (take(response)) finish();
    });
    stream.on('error', (error) => finish(errorText(error)));
    stream.on('end', () => finish('the stream ended'));
    stream.write({ create_request: { key: everything, range_end: everything, start_revision: startRevision } });
  });
}

/** Every write from revision 1 to at least `finalRevision`, as the member the client reaches replays it. */
export async function readCommittedHistory(etcd: Etcd3, finalRevision: number, timeoutMs: number): Promise<{ committed?: CommittedRevision[]; error?: string }> {
  const events: ReturnType<typeof watchEvents> = [];
  let canceled: string | undefined;
  const error = await watchAll(etcd, 1, timeoutMs, (response) => {
    if (response.canceled) {
      canceled = response.cancel_reason || `canceled (compact revision ${response.compact_revision})`;
      return true;
    }
    events.push(...watchEvents(response));
    return (events.at(-1)?.revision ?? 0) >= finalRevision;
  }).catch((e: unknown) => errorText(e));
  if (canceled !== undefined) return { error: `the watch from revision 1 was canceled: ${canceled}` };
  if (error !== undefined) return { error: `${error} (got revisions up to ${events.at(-1)?.revision ?? 0} of ${finalRevision})` };
  return { committed: committedFromEvents(events) };
}

/** HashKV at one revision on every member, once each has applied it. */
export async function hashAllMembers(cluster: Cluster, timeoutMs: number, now: () => number): Promise<HashReport[]> {
  const startMs = now();
  const statuses = await Promise.all(cluster.names.map((name) => cluster.status(name, 2_000)));
  const revision = Math.max(...statuses.map((s) => (s === undefined ? 0 : Number(s.header.revision))));
  const reports: HashReport[] = [];
  for (const slot of cluster.names) {
    let report: HashReport = { slot, error: 'not asked' };
    let failures = 0;
    while (now() - startMs < timeoutMs && failures < 3) {
      const status = await cluster.status(slot, 2_000);
      if (status === undefined || Number(status.header.revision) < revision) {
        report = { slot, error: `did not reach revision ${revision} within ${timeoutMs} ms (at ${status?.header.revision ?? 'unreachable'})` };
        await sleep(200);
        continue;
      }
      try {
        const hashed = await hashKv(cluster.slot(slot).client, revision, deadline(5_000));
        report = { slot, revision, hash: hashed.hash, compactRevision: Number(hashed.compact_revision) };
        break;
      } catch (error) {
        failures++;
        report = { slot, error: `HashKV at ${revision} failed: ${errorText(error)}` };
      }
    }
    reports.push(report);
  }
  return reports;
}

/** Compacts at half the final revision, then asks each member about the revisions before it. */
export async function checkCompaction(cluster: Cluster, finalRevision: number, timeoutMs: number, now: () => number): Promise<CompactionReport | undefined> {
  const compactRevision = Math.floor(finalRevision / 2);
  if (compactRevision < 2) return undefined;
  const first = cluster.names[0]!;
  await cluster.slot(first).client.kv.compact({ revision: compactRevision, physical: true }, deadline(10_000));
  const members: CompactionReport['members'][number][] = [];
  for (const slot of cluster.names) {
    const client = cluster.slot(slot).client;
    const startMs = now();
    let rangeRefused = false;
    // Each member applies the compaction when its log reaches it; a serializable range asks that member alone.
    while (!rangeRefused && now() - startMs < timeoutMs) {
      try {
        await client.kv.range({ key: Buffer.from('widgets/'), revision: compactRevision - 1, serializable: true }, deadline(2_000));
        await sleep(200);
      } catch (error) {
        if (/compacted/i.test(errorText(error))) rangeRefused = true;
        else await sleep(200);
      }
    }
    let canceled = false;
    let reportedCompactRevision: number | undefined;
    const oldWatch = await watchAll(client, compactRevision - 1, 5_000, (response) => {
      if (!response.canceled) return false;
      canceled = true;
      reportedCompactRevision = Number(response.compact_revision);
      return true;
    }).catch((e: unknown) => errorText(e));
    let resumedFirstRevision: number | undefined;
    const newWatch = await watchAll(client, compactRevision, 5_000, (response) => {
      const events = watchEvents(response);
      if (response.canceled) return true;
      if (events.length === 0) return false;
      resumedFirstRevision = events[0]!.revision;
      return true;
    }).catch((e: unknown) => errorText(e));
    const error = oldWatch !== undefined && !canceled ? `watch from ${compactRevision - 1}: ${oldWatch}` : newWatch !== undefined ? `watch from ${compactRevision}: ${newWatch}` : undefined;
    members.push({ slot, canceled, reportedCompactRevision, rangeRefused, resumedFirstRevision, ...(error === undefined ? {} : { error }) });
  }
  return { compactRevision, members };
}

/** The last revision up to `upTo` with an event the watcher selects: where it must have caught up to. */
export function lastSelectedRevision(spec: WatchSpec, committed: readonly CommittedRevision[], upTo: number): number {
  let last = 0;
  for (const revision of committed) {
    if (revision.revision > upTo || revision.revision < spec.startRevision) continue;
    if (revision.events.some((event) => selects(spec, event))) last = revision.revision;
  }
  return last;
}

function selects(spec: WatchSpec, event: { readonly type: 'put' | 'delete'; readonly key: string }): boolean {
  if (spec.filters?.includes(event.type === 'put' ? 'noput' : 'nodelete') === true) return false;
  if (spec.rangeEnd === undefined) return event.key === spec.key;
  return event.key >= spec.key && (spec.rangeEnd === '\0' || event.key < spec.rangeEnd);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
