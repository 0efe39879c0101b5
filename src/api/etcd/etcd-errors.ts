// Errors as etcd's clients expect them: a gRPC status code and etcd's exact
// message (v3rpc/rpctypes), since etcdctl and the etcd3 npm client decide
// what to do (retry, resync a watch, give up) from the code and the text.

import { status } from '@grpc/grpc-js';
import { KvError, type GrpcStatusName } from '../../kv/errors.js';

const codes: Record<GrpcStatusName | 'Unavailable' | 'DeadlineExceeded' | 'Unimplemented' | 'Internal' | 'Canceled', status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  OutOfRange: status.OUT_OF_RANGE,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  NotFound: status.NOT_FOUND,
  FailedPrecondition: status.FAILED_PRECONDITION,
  Unavailable: status.UNAVAILABLE,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
  Unimplemented: status.UNIMPLEMENTED,
  Internal: status.INTERNAL,
  Canceled: status.CANCELLED,
};

export type EtcdStatusName = keyof typeof codes;

/** etcd's messages for the errors this layer raises itself (the store's own come from src/kv/errors.ts). */
export const etcdMessages = {
  noLeader: 'etcdserver: no leader',
  requestTimeout: 'etcdserver: request timed out',
  memberNotFound: 'etcdserver: member not found',
  memberNotLearner: 'etcdserver: can only promote a learner member',
  notEnoughStartedMembers: 'etcdserver: re-configuration failed due to not enough started members',
  badLeaderTransferee: 'etcdserver: bad leader transferee',
  authNotEnabled: 'etcdserver: authentication is not enabled',
  rootUserNotExist: 'etcdserver: root user does not exist',
  userNotFound: 'etcdserver: user name not found',
  roleNotFound: 'etcdserver: role name not found',
  noSpace: 'etcdserver: mvcc: database space exceeded',
  watchDuplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
} as const;

export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    readonly statusName: EtcdStatusName,
    message: string,
  ) {
    super(message);
  }

  get code(): status {
    return codes[this.statusName];
  }

  static invalidArgument(detail: string): EtcdError {
    return new EtcdError('InvalidArgument', `etcdserver: ${detail}`);
  }

  static fromKv(error: KvError): EtcdError {
    return new EtcdError(error.grpcStatus, error.message);
  }
}

/** What a client sees for any failure: etcd's errors as they are, a Trellis bug as INTERNAL with no stack. */
export function toEtcdError(error: unknown): EtcdError {
  if (error instanceof EtcdError) return error;
  if (error instanceof KvError) return EtcdError.fromKv(error);
  const text = error instanceof Error ? error.message : String(error);
  return new EtcdError('Internal', `trellis: internal error: ${text}`);
}

export function grpcStatusOf(error: unknown): { code: status; details: string } {
  const etcdError = toEtcdError(error);
  return { code: etcdError.code, details: etcdError.message };
}
