// The requests and responses of the key-value state machine, shaped after
// etcd's v3 protobufs (etcdserverpb) so the gRPC layer maps them field by
// field. Revisions are plain numbers (int64 in etcd, below 2^53 here); lease
// ids are bigint so 64-bit ids stay exact. 0 means "none" for both, as in etcd.

export interface KeyValue {
  readonly key: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  /** 1 when the key was (re)created by this revision; 0 only in delete events. */
  readonly version: number;
  readonly value: Uint8Array;
  readonly lease: bigint;
}

export type SortOrder = 'none' | 'ascend' | 'descend';
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';

export interface RangeRequest {
  readonly key: Uint8Array;
  /** Absent or empty: the key alone; [0]: every key >= key; otherwise [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** 0 or absent: no limit. */
  readonly limit?: number;
  /** 0 or absent: the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  /** Header revision: the store's revision when the range was served. */
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
  /** True when the limit cut the result short. */
  readonly more: boolean;
  /** Keys in the range at the read revision, before filters and limit. */
  readonly count: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease?: bigint;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly revision: number;
  readonly prevKv: KeyValue | null;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

export type CompareResult = 'equal' | 'greater' | 'less' | 'not-equal';

interface CompareBase {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly result: CompareResult;
}

export type Compare =
  | (CompareBase & { readonly target: 'value'; readonly value: Uint8Array })
  | (CompareBase & { readonly target: 'version'; readonly version: number })
  | (CompareBase & { readonly target: 'create'; readonly createRevision: number })
  | (CompareBase & { readonly target: 'mod'; readonly modRevision: number })
  | (CompareBase & { readonly target: 'lease'; readonly lease: bigint });

export type RequestOp =
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'delete-range'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest };

export type ResponseOp =
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'delete-range'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse };

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

export interface TxnResponse {
  readonly revision: number;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactionRequest {
  readonly revision: number;
}

export interface CompactionResponse {
  readonly revision: number;
}

export interface LeaseGrantRequest {
  /** 0: let the state machine pick a deterministic id. */
  readonly id: bigint;
  readonly ttlSeconds: number;
}

export interface LeaseGrantResponse {
  readonly revision: number;
  readonly id: bigint;
  /** The granted TTL, raised to the minimum TTL if it was below it. */
  readonly ttlSeconds: number;
}

export interface LeaseRevokeRequest {
  readonly id: bigint;
}

export interface LeaseRevokeResponse {
  readonly revision: number;
}

/** The state machine's part of LeaseTimeToLive; the remaining TTL comes from the leader's Lessor. */
export interface LeaseInfo {
  readonly id: bigint;
  readonly grantedTtlSeconds: number;
  /** Attached keys in ascending order. */
  readonly keys: readonly Uint8Array[];
}

export interface HashKvResponse {
  readonly revision: number;
  readonly hash: number;
  readonly compactRevision: number;
}
