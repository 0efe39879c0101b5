// The cluster's own record of its writes (every revision's events, read back
// at the end through a watch from revision 1) set against what the clients
// were told:
// - no acknowledged write lost: a write acknowledged at revision r is the
//   write the cluster holds at r;
// - no phantom write: every revision is explained by some request a client
//   sent (acknowledged or with an unknown outcome) or by a lease's end.
// It also turns the record into the list the watch checker replays.

import { prefixRangeEnd, type CommittedEvent, type CommittedRevision, type MvccInput, type RequestOp } from '../check/index.js';
import type { LeaseRecord, RecordedOp } from './history.js';
import { leasePrefix } from './lease-workload.js';

export interface CommittedCheck {
  readonly lost: string[];
  readonly phantom: string[];
}

/** The events a write makes, from its request and the branch its response says ran. */
export function eventsOf(input: MvccInput, succeeded: boolean | undefined, deletedKeys?: readonly string[]): CommittedEvent[] {
  const ops: readonly RequestOp[] = input.kind === 'txn' ? (succeeded === false ? input.failure : input.success) : [input];
  const events: CommittedEvent[] = [];
  for (const op of ops) {
    if (op.kind === 'put') events.push({ type: 'put', key: op.key, value: op.value });
    if (op.kind === 'delete-range') {
      if (deletedKeys !== undefined) for (const key of deletedKeys) events.push({ type: 'delete', key });
      else if (op.rangeEnd === undefined) events.push({ type: 'delete', key: op.key });
    }
  }
  return events;
}

function describeEvents(events: readonly CommittedEvent[]): string {
  return events.map((e) => (e.type === 'put' ? `put ${e.key}=${JSON.stringify(e.value)}` : `delete ${e.key}`)).join(', ') || 'nothing';
}

function sameEvents(a: readonly CommittedEvent[], b: readonly CommittedEvent[]): boolean {
  const key = (e: CommittedEvent): string => `${e.type}\u0000${e.key}\u0000${e.value ?? ''}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

export function checkCommitted(ops: readonly RecordedOp[], committed: readonly CommittedRevision[], maxReports = 20): CommittedCheck {
  const byRevision = new Map(committed.map((c) => [c.revision, c]));
  const claimed = new Set<number>();
  const lost: string[] = [];
  const phantom: string[] = [];
  for (const op of ops) {
    const output = op.output;
    if (output === undefined || op.returnMs === undefined || op.error !== undefined) continue;
    const deleted = output.kind === 'delete-range' && output.prevKvs !== undefined ? output.prevKvs.map((kv) => kv.key) : undefined;
    const expected = eventsOf(op.input, output.kind === 'txn' ? output.succeeded : undefined, deleted);
    const wrote = output.kind === 'txn' ? expected.length > 0 : output.kind === 'put' || (output.kind === 'delete-range' && output.deleted > 0);
    if (!wrote) continue;
    claimed.add(output.revision);
    const held = byRevision.get(output.revision);
    if (held === undefined) {
      if (lost.length < maxReports) lost.push(`${op.client} was told ${describeEvents(expected)} took revision ${output.revision} (op ${op.id}), but the cluster has no revision ${output.revision}`);
    } else if (!sameEvents(held.events, expected)) {
      if (lost.length < maxReports) lost.push(`${op.client} was told ${describeEvents(expected)} took revision ${output.revision} (op ${op.id}), but the cluster holds ${describeEvents(held.events)} there`);
    }
  }
  // Writes whose outcome the client never learned: their puts may appear anywhere after their call.
  const pendingPuts = new Set<string>();
  for (const op of ops) {
    if (op.output !== undefined || op.definite === true) continue;
    const branches = op.input.kind === 'txn' ? [...op.input.success, ...op.input.failure] : [op.input];
    for (const branchOp of branches) if (branchOp.kind === 'put') pendingPuts.add(`${branchOp.key}\u0000${branchOp.value}`);
  }
  const pendingDeletes = new Set(ops.filter((op) => op.output === undefined && op.definite !== true).flatMap((op) => eventsOf(op.input, true).filter((e) => e.type === 'delete').map((e) => e.key)));
  for (const revision of committed) {
    if (claimed.has(revision.revision)) continue;
    const unexplained = revision.events.filter((event) =>
      event.type === 'put' ? !pendingPuts.has(`${event.key}\u0000${event.value}`) : !(event.key.startsWith(leasePrefix) || pendingDeletes.has(event.key)),
    );
    if (unexplained.length > 0 && phantom.length < maxReports) {
      phantom.push(`revision ${revision.revision} holds ${describeEvents(revision.events)}, which no client request explains`);
    }
  }
  return { lost, phantom };
}

/** The pending deletions that stand for leases ending (by expiry or revoke), for the linearizability model. */
export function leaseEndInputs(leases: readonly LeaseRecord[]): { lease: LeaseRecord; input: MvccInput }[] {
  return leases.map((lease) => {
    const prefix = lease.key.slice(0, lease.key.lastIndexOf('/') + 1);
    return { lease, input: { kind: 'delete-range', key: prefix, rangeEnd: prefixRangeEnd(prefix) } };
  });
}

/** Groups watch events of the full-history watcher into revisions, in commit order. */
export function committedFromEvents(events: readonly { type: 'put' | 'delete'; key: string; value?: string; revision: number }[]): CommittedRevision[] {
  const revisions: { revision: number; events: CommittedEvent[] }[] = [];
  for (const event of events) {
    let last = revisions.at(-1);
    if (last === undefined || last.revision !== event.revision) revisions.push((last = { revision: event.revision, events: [] }));
    last.events.push(event.type === 'put' ? { type: 'put', key: event.key, value: event.value ?? '' } : { type: 'delete', key: event.key });
  }
  return revisions;
}
