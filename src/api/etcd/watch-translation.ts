// etcdserverpb Watch messages <-> the WatchHub's requests and responses. Pure.

import type { WatchEvent, WatchRequest, WatchResponse } from '../../kv/watch-hub.js';
import type { ResponseHeader } from './backend.js';
import { EtcdError } from './etcd-errors.js';
import { toWireHeader, toWireKeyValue } from './kv-translation.js';
import { boolField, bytesField, enumField, listField, messageField, safeIntField, toWireInt } from './wire-values.js';

type Message = Record<string, unknown>;

export type WatchStreamRequest =
  | { readonly kind: 'create'; readonly request: WatchRequest; readonly watchId: number | null }
  | { readonly kind: 'cancel'; readonly watchId: number }
  | { readonly kind: 'progress' };

const filterTypes = ['noput', 'nodelete'] as const;

export function fromWatchRequest(message: Message): WatchStreamRequest {
  const create = messageField(message['create_request'], 'create_request');
  if (create !== null) {
    let key = bytesField(create['key'], 'key');
    // etcd watches from "\0", the smallest key, when no key is given.
    if (key.length === 0) key = new Uint8Array([0]);
    const filters = listField(create['filters'], 'filters', 2).map((f) => enumField(f, 'filters', ['Noput', 'Nodelete'], filterTypes));
    const watchId = safeIntField(create['watch_id'], 'watch_id');
    if (watchId < 0) throw EtcdError.invalidArgument(`watch_id ${watchId} is negative`);
    return {
      kind: 'create',
      request: {
        key,
        rangeEnd: bytesField(create['range_end'], 'range_end'),
        startRevision: Math.max(0, safeIntField(create['start_revision'], 'start_revision')),
        prevKv: boolField(create['prev_kv'], 'prev_kv'),
        noPut: filters.includes('noput'),
        noDelete: filters.includes('nodelete'),
      },
      // 0 asks the server to choose (etcd's AutoWatchID).
      watchId: watchId === 0 ? null : watchId,
    };
  }
  const cancel = messageField(message['cancel_request'], 'cancel_request');
  if (cancel !== null) return { kind: 'cancel', watchId: safeIntField(cancel['watch_id'], 'watch_id') };
  if (messageField(message['progress_request'], 'progress_request') !== null) return { kind: 'progress' };
  throw EtcdError.invalidArgument('watch request carries no create, cancel or progress request');
}

function toWireEvent(event: WatchEvent): Message {
  return {
    type: event.type === 'put' ? 0 : 1,
    kv: toWireKeyValue(event.kv),
    prev_kv: event.prevKv === null ? null : toWireKeyValue(event.prevKv),
  };
}

export function toWireWatchResponse(header: ResponseHeader, response: WatchResponse): Message {
  const base = { header: toWireHeader(header), watch_id: toWireInt(response.watchId) };
  switch (response.kind) {
    case 'events':
      return { ...base, events: response.events.map(toWireEvent) };
    case 'progress':
      return base;
    case 'canceled':
      // etcd signals compaction by compact_revision alone; clients turn it into ErrCompacted.
      return { ...base, canceled: true, compact_revision: toWireInt(response.compactRevision) };
  }
}

export function toWireCreated(header: ResponseHeader, watchId: number): Message {
  return { header: toWireHeader(header), watch_id: toWireInt(watchId), created: true };
}

/** etcd answers a create it cannot honour with a created-and-canceled response for watch id -1. */
export function toWireCreateFailed(header: ResponseHeader, reason: string): Message {
  return { header: toWireHeader(header), watch_id: '-1', created: true, canceled: true, cancel_reason: reason };
}

export function toWireCanceled(header: ResponseHeader, watchId: number): Message {
  return { header: toWireHeader(header), watch_id: toWireInt(watchId), canceled: true };
}

export function toWireProgress(header: ResponseHeader): Message {
  return { header: toWireHeader(header), watch_id: '-1' };
}
