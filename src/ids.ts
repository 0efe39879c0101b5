// Branded identifiers. A brand makes the compiler refuse a Term where a
// LogIndex is expected, though both are plain numbers at run time.
// 64-bit identifiers that clients see (lease, member, cluster ids) are bigint
// so they stay exact end to end; Raft counters stay below 2^53 and are numbers.

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A member of a cluster, as the runtime and the transports name it (e.g. "jupiter"). */
export type NodeId = Brand<string, 'NodeId'>;
/** The Raft term: the book's Generation Clock. */
export type Term = Brand<number, 'Term'>;
/** A position in the replicated log, starting at 1; 0 means "before the first entry". */
export type LogIndex = Brand<number, 'LogIndex'>;
/** The MVCC store's cluster-wide revision. */
export type Revision = Brand<number, 'Revision'>;
/** A lease id: 64-bit signed in etcd's API, kept exact as bigint. */
export type LeaseId = Brand<bigint, 'LeaseId'>;
/** A member id as etcd reports it: 64-bit unsigned, kept exact as bigint. */
export type MemberId = Brand<bigint, 'MemberId'>;
/** A cluster id as etcd reports it: 64-bit unsigned, kept exact as bigint. */
export type ClusterId = Brand<bigint, 'ClusterId'>;

export const nodeId = (value: string): NodeId => value as NodeId;
export const term = (value: number): Term => value as Term;
export const logIndex = (value: number): LogIndex => value as LogIndex;
export const revision = (value: number): Revision => value as Revision;
export const leaseId = (value: bigint): LeaseId => value as LeaseId;
export const memberId = (value: bigint): MemberId => value as MemberId;
export const clusterId = (value: bigint): ClusterId => value as ClusterId;
