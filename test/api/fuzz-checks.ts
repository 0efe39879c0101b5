// What both bad-input tests demand of every call, and how they tidy the
// member between methods: an answer (never a hang, never an internal error
// from a handler), a message with every failure, a member that is still up.

import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import type { RaftEtcd } from './raft-etcd.js';

export interface Outcome {
  readonly code: status;
  readonly details: string;
}

export function assertAnswered(etcd: RaftEtcd, name: string, outcome: Outcome, allowDecodeFailure: boolean): void {
  assert.notEqual(outcome.code, status.DEADLINE_EXCEEDED, `${name} hung`);
  assert.ok(!etcd.node.isStopped, `${name} stopped the member: ${String(etcd.node.raft.fatalError)}`);
  assert.ok(!outcome.details.startsWith('trellis: internal error'), `${name} failed inside a handler: ${outcome.details}`);
  if (outcome.code === status.OK) return;
  assert.ok(outcome.details.length > 0, `${name} answered ${outcome.code} without a message`);
  if (!allowDecodeFailure) assert.notEqual(outcome.code, status.INTERNAL, `${name}: ${outcome.details}`);
}

/**
 * Undoes what fuzzing may legitimately leave behind: a raised NOSPACE alarm
 * (which refuses writes, as etcd does) and learners added by random MemberAdds
 * (harmless, since they never vote, but the member list should stay small).
 */
export async function tidyAfterFuzzing(etcd: RaftEtcd): Promise<void> {
  for (const alarm of (await etcd.backend.alarm('get', 0n, 'none')).body) await etcd.backend.alarm('deactivate', alarm.memberId, alarm.alarm);
  const self = etcd.node.self()!.id;
  for (const member of (await etcd.backend.memberList()).body) if (member.id !== self) await etcd.backend.memberRemove(member.id);
}
