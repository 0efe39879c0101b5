// Every message between Raft peers. Each carries the sender's term, the
// Generation Clock: a receiver that sees a higher term steps down, and a
// message from a lower term is refused (or answered with the higher term so
// the stale sender steps down).

import type { LogIndex, Term } from '../ids.js';
import type { Entry, SnapshotMeta } from './types.js';

/** Leader → follower: entries after (prevIndex, prevTerm), and the leader's commit index (the High-Water Mark). An empty append is a probe. */
export interface AppendMessage {
  readonly type: 'append';
  readonly term: Term;
  readonly prevIndex: LogIndex;
  readonly prevTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

/**
 * Follower → leader. On success `index` is the last index the follower now
 * holds in agreement with the leader. On rejection `index` echoes the
 * rejected prevIndex, and (hintIndex, hintTerm) is the follower's largest
 * entry whose term is at most the rejected prevTerm: the leader skips back
 * past whole terms instead of one entry per round trip.
 */
export interface AppendResponseMessage {
  readonly type: 'append-response';
  readonly term: Term;
  readonly index: LogIndex;
  readonly reject: boolean;
  readonly hintIndex: LogIndex;
  readonly hintTerm: Term;
}

/** Leader → follower, every heartbeat interval. `commit` is capped at the follower's known match. `context` names the newest ReadIndex round. */
export interface HeartbeatMessage {
  readonly type: 'heartbeat';
  readonly term: Term;
  readonly commit: LogIndex;
  readonly context: number;
}

export interface HeartbeatResponseMessage {
  readonly type: 'heartbeat-response';
  readonly term: Term;
  readonly context: number;
}

/**
 * A (pre-)vote request. A pre-vote carries the term the sender would
 * campaign at, without anyone adopting it. `transfer` marks a campaign the
 * old leader asked for, which voters grant despite having a live leader.
 */
export interface VoteMessage {
  readonly type: 'vote';
  readonly term: Term;
  readonly preVote: boolean;
  readonly transfer: boolean;
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
}

export interface VoteResponseMessage {
  readonly type: 'vote-response';
  readonly term: Term;
  readonly preVote: boolean;
  readonly granted: boolean;
}

/** One chunk of a snapshot: bytes [offset, offset + data.length) of totalBytes, whose CRC-32C is `checksum`. */
export interface SnapshotChunkMessage {
  readonly type: 'snapshot';
  readonly term: Term;
  readonly meta: SnapshotMeta;
  readonly totalBytes: number;
  readonly checksum: number;
  readonly offset: number;
  readonly data: Uint8Array;
}

/** The follower holds the first `receivedBytes` of the snapshot at `snapshotIndex`; the leader continues from there. */
export interface SnapshotResponseMessage {
  readonly type: 'snapshot-response';
  readonly term: Term;
  readonly snapshotIndex: LogIndex;
  readonly receivedBytes: number;
}

/** Leader → transfer target: campaign now, skipping pre-vote. */
export interface TimeoutNowMessage {
  readonly type: 'timeout-now';
  readonly term: Term;
}

/** Follower → leader: tell me a read index for this request. */
export interface ReadIndexMessage {
  readonly type: 'read-index';
  readonly term: Term;
  readonly requestId: string;
}

/** Leader → follower: the read index for a request, confirmed by a quorum heartbeat round. */
export interface ReadIndexResponseMessage {
  readonly type: 'read-index-response';
  readonly term: Term;
  readonly requestId: string;
  readonly index: LogIndex;
}

/** Follower → leader: client data to propose (Request Batch: everything forwarded in one Ready travels in one message). */
export interface ProposeMessage {
  readonly type: 'propose';
  readonly term: Term;
  readonly data: readonly Uint8Array[];
}

export type RaftMessage =
  | AppendMessage
  | AppendResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | SnapshotChunkMessage
  | SnapshotResponseMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage
  | ProposeMessage;

export type RaftMessageType = RaftMessage['type'];
