// Every bound of the key-value state machine, with etcd 3.4's defaults.

export interface KvLimits {
  /** Largest encoded request accepted (etcd --max-request-bytes). */
  readonly maxRequestBytes: number;
  /** Most compares, or success ops, or failure ops in one txn (etcd --max-txn-ops). */
  readonly maxTxnOps: number;
  /** Estimated bytes of keys, values and history above which writes are refused (etcd --quota-backend-bytes). */
  readonly quotaBytes: number;
  /** Leases shorter than this are granted this TTL instead (etcd: 1.5 election timeouts, rounded up). */
  readonly minLeaseTtlSeconds: number;
  /** Longest lease TTL accepted (etcd's MaxLeaseTTL). */
  readonly maxLeaseTtlSeconds: number;
}

export const defaultKvLimits: KvLimits = {
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxTxnOps: 128,
  quotaBytes: 2 * 1024 * 1024 * 1024,
  minLeaseTtlSeconds: 2,
  maxLeaseTtlSeconds: 9_000_000_000,
};

/**
 * What one stored revision of a key costs in the space estimate, beyond its
 * key and value bytes: the history entry, its tree slot and index entries.
 */
export const entryOverheadBytes = 96;
/** What one lease costs in the space estimate. */
export const leaseOverheadBytes = 64;
