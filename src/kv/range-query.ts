// The part of etcd's Range that runs after the index scan (etcdserver
// apply.go): revision filters, sorting, limit and `more`. Kept apart from the
// store so the rules read in the same order etcd applies them.

import type { KeyString } from './key-bytes.js';
import type { Version } from './key-history.js';
import type { RangeRequest, SortTarget } from './types.js';

export type Found = readonly [KeyString, Version];

/** Whether the scan must gather every key (sort or filters) rather than stop after limit + 1. */
export function needsEveryKey(request: RangeRequest): boolean {
  return (
    (request.sortOrder ?? 'none') !== 'none' ||
    (request.sortTarget ?? 'key') !== 'key' ||
    (request.minModRevision ?? 0) !== 0 ||
    (request.maxModRevision ?? 0) !== 0 ||
    (request.minCreateRevision ?? 0) !== 0 ||
    (request.maxCreateRevision ?? 0) !== 0
  );
}

function passesFilters(request: RangeRequest, entry: Version): boolean {
  const maxMod = request.maxModRevision ?? 0;
  const minMod = request.minModRevision ?? 0;
  const maxCreate = request.maxCreateRevision ?? 0;
  const minCreate = request.minCreateRevision ?? 0;
  if (maxMod !== 0 && entry.rev > maxMod) return false;
  if (minMod !== 0 && entry.rev < minMod) return false;
  if (maxCreate !== 0 && entry.createRev > maxCreate) return false;
  if (minCreate !== 0 && entry.createRev < minCreate) return false;
  return true;
}

function compareBy(target: SortTarget): (a: Found, b: Found) => number {
  const order = <T>(x: T, y: T): number => (x < y ? -1 : x > y ? 1 : 0);
  switch (target) {
    case 'key':
      return (a, b) => order(a[0], b[0]);
    case 'version':
      return (a, b) => a[1].version - b[1].version;
    case 'create':
      return (a, b) => a[1].createRev - b[1].createRev;
    case 'mod':
      return (a, b) => a[1].rev - b[1].rev;
    case 'value':
      return (a, b) => order(a[1].value ?? '', b[1].value ?? '');
  }
}

/**
 * Filters, sorts and cuts `found` (in key order) as etcd does. Sorting is
 * stable, so equal sort values stay in key order (etcd's sort is unstable;
 * for small results Go's insertion sort gives the same order).
 */
export function shapeRange(request: RangeRequest, found: Found[]): { kvs: Found[]; more: boolean } {
  let kvs = found.filter((item) => passesFilters(request, item[1]));
  const target = request.sortTarget ?? 'key';
  let sortOrder = request.sortOrder ?? 'none';
  // The scan already yields key order, so etcd sorts only for other targets.
  if (target !== 'key' && sortOrder === 'none') sortOrder = 'ascend';
  if (sortOrder !== 'none') {
    const compare = compareBy(target);
    kvs = sortOrder === 'ascend' ? kvs.sort(compare) : kvs.sort((a, b) => compare(b, a));
  }
  const limit = request.limit ?? 0;
  if (limit > 0 && kvs.length > limit) return { kvs: kvs.slice(0, limit), more: true };
  return { kvs, more: false };
}
