// The errors the key-value state machine reports, worded exactly as etcd 3.4
// words them, because etcd clients (etcdctl, the etcd3 npm client) match on
// the text and the gRPC status code. Apply never throws these at the node:
// they travel back as results, identical on every member.

export type KvErrorCode =
  | 'empty-key'
  | 'key-not-found'
  | 'value-provided'
  | 'lease-provided'
  | 'too-many-ops'
  | 'duplicate-key'
  | 'compacted'
  | 'future-revision'
  | 'no-space'
  | 'lease-not-found'
  | 'lease-exists'
  | 'lease-ttl-too-large'
  | 'request-too-large'
  | 'malformed-command';

/** gRPC status codes by name, as etcd's rpctypes assigns them. */
export type GrpcStatusName = 'InvalidArgument' | 'OutOfRange' | 'ResourceExhausted' | 'NotFound' | 'FailedPrecondition';

const messages: Record<KvErrorCode, readonly [string, GrpcStatusName]> = {
  'empty-key': ['etcdserver: key is not provided', 'InvalidArgument'],
  'key-not-found': ['etcdserver: key not found', 'InvalidArgument'],
  'value-provided': ['etcdserver: value is provided', 'InvalidArgument'],
  'lease-provided': ['etcdserver: lease is provided', 'InvalidArgument'],
  'too-many-ops': ['etcdserver: too many operations in txn request', 'InvalidArgument'],
  'duplicate-key': ['etcdserver: duplicate key given in txn request', 'InvalidArgument'],
  compacted: ['etcdserver: mvcc: required revision has been compacted', 'OutOfRange'],
  'future-revision': ['etcdserver: mvcc: required revision is a future revision', 'OutOfRange'],
  'no-space': ['etcdserver: mvcc: database space exceeded', 'ResourceExhausted'],
  'lease-not-found': ['etcdserver: requested lease not found', 'NotFound'],
  'lease-exists': ['etcdserver: lease already exists', 'FailedPrecondition'],
  'lease-ttl-too-large': ['etcdserver: too large lease TTL', 'OutOfRange'],
  'request-too-large': ['etcdserver: request is too large', 'InvalidArgument'],
  'malformed-command': ['etcdserver: malformed key-value command', 'InvalidArgument'],
};

export class KvError extends Error {
  override readonly name = 'KvError';
  readonly grpcStatus: GrpcStatusName;
  constructor(
    readonly code: KvErrorCode,
    /** Extra context for logs; never part of `message`, which clients match on. */
    readonly detail?: string,
  ) {
    const [message, grpcStatus] = messages[code];
    super(message);
    this.grpcStatus = grpcStatus;
  }
}

export function kvErrorMessage(code: KvErrorCode): string {
  return messages[code][0];
}

/** Raised by restore when snapshot bytes are damaged or not a Trellis KV snapshot. */
export class KvSnapshotError extends Error {
  override readonly name = 'KvSnapshotError';
}
