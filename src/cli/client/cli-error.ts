// Failures of the client commands, with etcdctl's exit codes so that scripts
// written against etcdctl read trellis's the same way.

import type { ServiceError } from '@grpc/grpc-js';

export const exitCodes = {
  success: 0,
  error: 1,
  badConnection: 2,
  /** txn and watch input that does not parse. */
  invalidInput: 3,
  /** A valid flag with a value this command does not support (an output format, a sort order). */
  badFeature: 4,
  interrupted: 5,
  io: 6,
  badArgs: 128,
} as const;

/** A failure the user is told about in one line (`Error: ...`) before the command exits with exitCode. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.error,
  ) {
    super(message);
  }
}

/**
 * Go's names for the gRPC status codes (numbered by the gRPC spec), as
 * etcdctl prints them in "rpc error: code = ... desc = ...". Written out so
 * that loading this module does not load grpc-js.
 */
const goCodeNames = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
] as const;
const canceled = 1;
const deadlineExceeded = 4;

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'details' in error;
}

/**
 * What etcdctl prints for a failed request: etcd's own errors by their text
 * (the client library turns them back into typed errors), a missed deadline
 * as Go's context error, anything else as the raw gRPC status.
 */
export function describeRequestError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (!isServiceError(error)) return error instanceof Error ? error.message : String(error);
  if (error.code === deadlineExceeded) return 'context deadline exceeded';
  if (error.code === canceled && /cancell?ed on client/i.test(error.details)) return 'context canceled';
  if (/^(etcdserver|mvcc|auth|lease): /.test(error.details)) return error.details;
  return `rpc error: code = ${goCodeNames[error.code] ?? String(error.code)} desc = ${error.details}`;
}

/** A request failure as a CliError with the exit code etcdctl uses for that command. */
export function requestFailed(error: unknown, exitCode: number = exitCodes.error, wrap?: (text: string) => string): CliError {
  if (error instanceof CliError) return error;
  const text = describeRequestError(error);
  return new CliError(wrap === undefined ? text : wrap(text), exitCode);
}
