// The narrow waist between etcd's gRPC services and whatever holds the data.
// The services translate and validate wire messages, then call exactly one
// of these methods; a backend answers in src/kv's terms plus the response
// header etcd attaches to everything. LocalBackend (one member, no Raft)
// implements it now; the Raft-replicated node implements it next, so
// nothing here may assume a single member or synchronous apply.
//
// Failures are thrown (rejected) as EtcdError or KvError with etcd's codes.

import type {
  DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
} from '../../kv/types.js';
import type { WatchRequest, WatchResponse } from '../../kv/watch-hub.js';
import type { MetricFamily } from '../../server/metrics.js';

export interface ResponseHeader {
  readonly clusterId: bigint;
  readonly memberId: bigint;
  readonly revision: number;
  readonly raftTerm: number;
}

export interface Answer<T> {
  readonly header: ResponseHeader;
  readonly body: T;
}

export interface ReadOptions {
  /** Serve from local state without confirming leadership (etcd's serializable read). */
  readonly serializable: boolean;
}

export interface LeaseGrant {
  readonly id: bigint;
  readonly ttlSeconds: number;
}

export interface LeaseTimeToLive {
  readonly id: bigint;
  /** Seconds left; -1 when the lease does not exist or has expired, as etcd reports it. */
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  readonly keys: readonly Uint8Array[];
}

export interface Member {
  readonly id: bigint;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export type AlarmType = 'none' | 'nospace' | 'corrupt';
export type AlarmAction = 'get' | 'activate' | 'deactivate';

export interface AlarmMember {
  readonly memberId: bigint;
  readonly alarm: AlarmType;
}

export interface MemberStatus {
  readonly version: string;
  readonly dbSizeBytes: number;
  readonly dbSizeInUseBytes: number;
  /** 0 when this member knows of no leader. */
  readonly leader: bigint;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly raftAppliedIndex: number;
  readonly errors: readonly string[];
  readonly isLearner: boolean;
}

export interface HashKv {
  readonly hash: number;
  readonly compactRevision: number;
}

/** One chunk of a snapshot stream; remainingBytes counts what follows this chunk. */
export interface SnapshotChunk {
  readonly blob: Uint8Array;
  readonly remainingBytes: number;
}

/**
 * The watches of one client stream. Watch ids are per stream, starting at 0,
 * as etcd numbers them. Responses are pulled (take) when the stream can
 * write, so a slow client costs its watchers' bounded buffers, no more.
 */
export interface WatchSession {
  /** Throws EtcdError (e.g. duplicate id, empty key) when the watch cannot be created. */
  create(request: WatchRequest, requestedWatchId: number | null): { readonly watchId: number; readonly header: ResponseHeader };
  /** False when no such watch exists on this stream. */
  cancel(watchId: number): boolean;
  /** Progress for the whole stream, if every watch is caught up; null otherwise. */
  progress(): ResponseHeader | null;
  /** Called when some watch has a response waiting. */
  onReady(listener: () => void): void;
  /** The next waiting response of any watch on this stream, or null. */
  take(): { readonly response: WatchResponse; readonly header: ResponseHeader } | null;
  readonly watchCount: number;
  close(): void;
}

export interface EtcdBackend {
  range(request: RangeRequest, options: ReadOptions): Promise<Answer<RangeResponse>>;
  put(request: PutRequest): Promise<Answer<PutResponse>>;
  deleteRange(request: DeleteRangeRequest): Promise<Answer<DeleteRangeResponse>>;
  /** Read-only txns may be served like a range with these options. */
  txn(request: TxnRequest, options: ReadOptions): Promise<Answer<TxnResponse>>;
  compact(revision: number, physical: boolean): Promise<Answer<null>>;

  leaseGrant(request: LeaseGrant): Promise<Answer<LeaseGrant>>;
  leaseRevoke(id: bigint): Promise<Answer<null>>;
  /** The TTL the lease now has from now; 0 when it does not exist (etcd answers so, without an error). */
  leaseKeepAlive(id: bigint): Promise<Answer<LeaseGrant>>;
  leaseTimeToLive(id: bigint, keys: boolean): Promise<Answer<LeaseTimeToLive>>;
  leaseLeases(): Promise<Answer<readonly bigint[]>>;

  openWatchSession(): WatchSession;

  status(): Promise<Answer<MemberStatus>>;
  hashKv(revision: number): Promise<Answer<HashKv>>;
  hash(): Promise<Answer<number>>;
  /** The whole state, in chunks; the last chunk ends with a SHA-256 of everything before it, as etcd appends one. */
  snapshot(): AsyncIterable<Answer<SnapshotChunk>>;
  defragment(): Promise<Answer<null>>;
  alarm(action: AlarmAction, memberId: bigint, alarm: AlarmType): Promise<Answer<readonly AlarmMember[]>>;
  moveLeader(targetId: bigint): Promise<Answer<null>>;

  memberList(): Promise<Answer<readonly Member[]>>;
  memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<Answer<{ readonly member: Member; readonly members: readonly Member[] }>>;
  memberRemove(id: bigint): Promise<Answer<readonly Member[]>>;
  memberUpdate(id: bigint, peerUrls: readonly string[]): Promise<Answer<readonly Member[]>>;
  memberPromote(id: bigint): Promise<Answer<readonly Member[]>>;

  /** Everything else this member measures, for /metrics (etcd's names where etcd has them). */
  metricFamilies?(): readonly MetricFamily[];
  /** The header for answers that carry no state of their own (auth when disabled). */
  header(): ResponseHeader;
  /** The server tells the backend where clients reach it, once it is listening. */
  announceClientUrls(urls: readonly string[]): void;
  close(): void;
}
