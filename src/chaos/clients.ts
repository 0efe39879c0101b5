// etcd3 clients as the harness needs them: no retries and no circuit
// breaker, so one recorded operation is exactly one request (a retried put
// that had already committed would write twice under one record), and a
// deadline on every call.

import { Etcd3, type IHashKVResponse, type IOptions } from 'etcd3';
import type { CallOptions } from '@grpc/grpc-js';

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

const neverAborted = new AbortController().signal;

/** cockatiel's policy interface, reduced to what etcd3 calls: run the function once. */
const runOnce = {
  execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> => Promise.resolve().then(() => fn({ signal: neverAborted })),
  onSuccess: () => ({ dispose: () => {} }),
  onFailure: () => ({ dispose: () => {} }),
} as unknown as Policy;

export function makeClient(hosts: readonly string[], dialTimeoutMs = 2_000): Etcd3 {
  return new Etcd3({
    hosts: [...hosts],
    dialTimeout: dialTimeoutMs,
    faultHandling: { global: runOnce, host: () => runOnce },
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1_000 },
  });
}

export function deadline(timeoutMs: number): CallOptions {
  return { deadline: Date.now() + timeoutMs };
}

/** The gRPC status code of a failed call, when it has one. */
export function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const nested = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof nested === 'number' ? nested : undefined;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Errors that prove the request was never applied. Everything else (a
 * deadline, a lost connection, a leader change) leaves the outcome unknown.
 */
export function isDefiniteFailure(error: unknown): boolean {
  // grpc-js says "No connection established" when the call never had a transport to go out on.
  return /requested lease not found|No connection established/i.test(errorText(error));
}

/**
 * Maintenance.HashKV. etcd3 1.1.2's hashKV() asks grpc-js for a method named
 * "hashKV", but the loaded service calls it "hashKv", so it always fails with
 * "client[method] is not a function"; this goes through the same connection
 * pool with the right name.
 */
export function hashKv(etcd: Etcd3, revision: number, options: CallOptions): Promise<IHashKVResponse> {
  const callable = (etcd.maintenance as unknown as { client: { exec(service: string, method: string, request: unknown, options: CallOptions): Promise<IHashKVResponse> } }).client;
  return callable.exec('Maintenance', 'hashKv', { revision }, options);
}
