// The errors a client of a Raft node can see. Each says what happened and what
// to do, and says whether the request certainly had no effect: a history
// checker may drop such an operation, while every other failure may or may
// not have taken effect (the entry can still commit after the client gave up).

import type { NodeId } from '../ids.js';
import type { Refusal } from '../consensus/types.js';

export type ClientErrorCode =
  | 'not-leader'
  | 'leader-changed'
  | 'deadline-exceeded'
  | 'overloaded'
  | 'stopped'
  | 'refused';

export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  /** True only when the request can never take effect; retrying it elsewhere is then safe. */
  readonly certainlyNotApplied: boolean;
  /** For 'not-leader': where to retry, when this node knows. */
  readonly leaderHint: NodeId | null;

  constructor(code: ClientErrorCode, message: string, certainlyNotApplied: boolean, leaderHint: NodeId | null = null) {
    // These are answers, not bugs: a busy leader refuses thousands a second, and a stack trace each would dominate the cost.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.certainlyNotApplied = certainlyNotApplied;
    this.leaderHint = leaderHint;
  }
}

export function notLeader(leader: NodeId | null): ClientError {
  const message = leader === null ? 'not leader, leader unknown: retry on another member' : `not leader, leader is ${leader}`;
  return new ClientError('not-leader', message, true, leader);
}

/** The entry at the proposal's index was applied with another term: the proposal was overwritten and never applies. */
export function leaderChangedOverwritten(): ClientError {
  return new ClientError('leader-changed', 'leader changed: the proposal was overwritten by a newer leader; retry', true);
}

/** Leadership was lost while the proposal was in flight: it may still commit under the next leader. */
export function leaderChangedUnknown(): ClientError {
  return new ClientError('leader-changed', 'leader changed: the proposal may or may not have been applied; read before retrying', false);
}

/** Leadership was lost before a read's index was confirmed: the read never happened. */
export function leaderChangedBeforeRead(): ClientError {
  return new ClientError('leader-changed', 'leader changed before the read was confirmed: retry', true);
}

export function deadlineExceeded(timeoutMs: number, certainlyNotApplied: boolean): ClientError {
  const fate = certainlyNotApplied ? 'it had no effect' : 'it may or may not have been applied';
  return new ClientError('deadline-exceeded', `deadline exceeded after ${timeoutMs} ms: ${fate}`, certainlyNotApplied);
}

export function overloaded(what: string, limit: number | null): ClientError {
  const size = limit === null ? '' : ` (${limit})`;
  return new ClientError('overloaded', `node overloaded: ${what} is full${size}; back off and retry`, true);
}

export function stopped(nodeId: NodeId, reason: string, certainlyNotApplied: boolean): ClientError {
  return new ClientError('stopped', `node ${nodeId} stopped (${reason}): retry on another member`, certainlyNotApplied);
}

export function refused(detail: string): ClientError {
  return new ClientError('refused', detail, true);
}

/** What every asynchronous request of the node ends with. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ClientError };

export type Completion<T> = (outcome: Outcome<T>) => void;

/** The client's view of a refusal from the Raft core. */
export function refusalError(refusal: Refusal): ClientError {
  switch (refusal.reason) {
    case 'not-leader':
      return notLeader(refusal.leader);
    case 'transfer-in-progress':
      return refused('leadership transfer in progress: retry shortly');
    case 'config-change-in-progress':
      return refused('another membership change is in progress: retry when it has committed');
    case 'too-many-pending':
      return overloaded('the leader\'s uncommitted log', null);
    case 'invalid':
      return refused(`invalid request: ${refusal.detail}`);
  }
}
