// The sequential specification of an etcd-style MVCC store, as the MVCC
// model and the revision-ordered checker share it: one global revision, bumped
// once by each request that changes something (a put, a delete-range that
// deletes a key, a txn whose chosen branch does either); every key carries
// create/mod revision and version (version 1 on creation, +1 per put, reset
// by delete). Inside a txn, later operations see earlier ones, as in etcd.

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

/** rangeEnd as etcd: absent means the key alone, '\0' every key from `key`, else [key, rangeEnd). */
export interface RangeRequest { readonly kind: 'range'; readonly key: string; readonly rangeEnd?: string }
export interface PutRequest { readonly kind: 'put'; readonly key: string; readonly value: string }
export interface DeleteRangeRequest { readonly kind: 'delete-range'; readonly key: string; readonly rangeEnd?: string }
export type RequestOp = RangeRequest | PutRequest | DeleteRangeRequest;

/** etcd's Compare on one key; a missing key has version, create and mod revision 0 and fails every value compare. */
export interface Compare {
  readonly key: string;
  readonly target: 'value' | 'version' | 'create' | 'mod';
  readonly result: 'equal' | 'not-equal' | 'greater' | 'less';
  readonly operand: string | number;
}
export interface TxnRequest {
  readonly kind: 'txn';
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}
export type MvccInput = RequestOp | TxnRequest;

/** `revision` is the response header's revision. Optional fields are checked only when recorded. */
export interface RangeResponse { readonly kind: 'range'; readonly revision: number; readonly kvs: readonly KeyValue[] }
export interface PutResponse { readonly kind: 'put'; readonly revision: number; readonly prevKv?: KeyValue | null }
export interface DeleteRangeResponse {
  readonly kind: 'delete-range';
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs?: readonly KeyValue[];
}
export type ResponseOp = RangeResponse | PutResponse | DeleteRangeResponse;
export interface TxnResponse {
  readonly kind: 'txn';
  readonly revision: number;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}
export type MvccOutput = ResponseOp | TxnResponse;

/** Undo records: the key and what it held before (undefined: absent). */
export type Undo = [string, KeyValue | undefined][];

export interface Execution {
  readonly output: MvccOutput;
  /** Whether the request changed the store, so took revision `revision + 1`. */
  readonly wrote: boolean;
}

/** Runs one request on `keys` at store revision `revision`, mutating `keys` and appending to `undo`. */
export function execute(keys: Map<string, KeyValue>, revision: number, input: MvccInput, undo: Undo): Execution {
  const writeRevision = revision + 1;
  let wrote = false;
  const run = (op: RequestOp): ResponseOp => {
    switch (op.kind) {
      case 'range':
        return { kind: 'range', revision, kvs: keysInRange(keys, op.key, op.rangeEnd).map((key) => keys.get(key)!) };
      case 'put': {
        const previous = keys.get(op.key);
        undo.push([op.key, previous]);
        keys.set(op.key, {
          key: op.key,
          value: op.value,
          createRevision: previous?.createRevision ?? writeRevision,
          modRevision: writeRevision,
          version: (previous?.version ?? 0) + 1,
        });
        wrote = true;
        return { kind: 'put', revision, prevKv: previous ?? null };
      }
      case 'delete-range': {
        const prevKvs = keysInRange(keys, op.key, op.rangeEnd).map((key) => keys.get(key)!);
        for (const kv of prevKvs) {
          undo.push([kv.key, kv]);
          keys.delete(kv.key);
        }
        wrote ||= prevKvs.length > 0;
        return { kind: 'delete-range', revision, deleted: prevKvs.length, prevKvs };
      }
    }
  };
  const withHeader = (response: ResponseOp): ResponseOp => ({ ...response, revision: wrote ? writeRevision : revision });
  if (input.kind !== 'txn') {
    const response = run(input);
    return { output: withHeader(response), wrote };
  }
  const succeeded = input.compare.every((compare) => holds(keys.get(compare.key), compare));
  const responses = (succeeded ? input.success : input.failure).map(run);
  return { output: { kind: 'txn', revision: wrote ? writeRevision : revision, succeeded, responses: responses.map(withHeader) }, wrote };
}

export function rollback(keys: Map<string, KeyValue>, undo: Undo, toLength: number): void {
  while (undo.length > toLength) {
    const [key, previous] = undo.pop()!;
    if (previous === undefined) keys.delete(key);
    else keys.set(key, previous);
  }
}

function holds(kv: KeyValue | undefined, compare: Compare): boolean {
  let actual: string | number;
  switch (compare.target) {
    case 'value':
      if (kv === undefined) return false;
      actual = kv.value;
      break;
    case 'version':
      actual = kv?.version ?? 0;
      break;
    case 'create':
      actual = kv?.createRevision ?? 0;
      break;
    case 'mod':
      actual = kv?.modRevision ?? 0;
      break;
  }
  switch (compare.result) {
    case 'equal':
      return actual === compare.operand;
    case 'not-equal':
      return actual !== compare.operand;
    case 'greater':
      return actual > compare.operand;
    case 'less':
      return actual < compare.operand;
  }
}

/** The keys present in the range, in key order as etcd returns them. */
export function keysInRange(keys: ReadonlyMap<string, KeyValue>, key: string, rangeEnd: string | undefined): string[] {
  if (rangeEnd === undefined) return keys.has(key) ? [key] : [];
  const found: string[] = [];
  for (const candidate of keys.keys()) if (candidate >= key && (rangeEnd === '\0' || candidate < rangeEnd)) found.push(candidate);
  return found.sort();
}

/** The rangeEnd that selects every key with this prefix (etcd's "prefix + 1"). */
export function prefixRangeEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return '\0';
}

/** Whether a request can never change the store, so a pending one is unobservable. */
export function isReadOnlyRequest(input: MvccInput): boolean {
  if (input.kind === 'txn') return [...input.success, ...input.failure].every((op) => op.kind === 'range');
  return input.kind === 'range';
}

/** Whether a completed request changed the store, judged from its response alone. */
export function responseShowsWrite(output: MvccOutput): boolean {
  const responses = output.kind === 'txn' ? output.responses : [output];
  return responses.some((response) => response.kind === 'put' || (response.kind === 'delete-range' && response.deleted > 0));
}

/** What the client observed agrees with the specification; optional fields only when recorded. */
export function mvccOutputMatches(expected: MvccOutput, observed: MvccOutput | undefined): boolean {
  if (observed === undefined || observed.kind !== expected.kind || observed.revision !== expected.revision) return false;
  if (expected.kind === 'txn') {
    if (observed.kind !== 'txn' || observed.succeeded !== expected.succeeded) return false;
    if (observed.responses.length !== expected.responses.length) return false;
    return expected.responses.every((response, i) => responseMatches(response, observed.responses[i]!));
  }
  return responseMatches(expected, observed as ResponseOp);
}

function responseMatches(expected: ResponseOp, observed: ResponseOp): boolean {
  // Inner txn responses carry the txn's header; only the outer one is compared.
  switch (expected.kind) {
    case 'range':
      return observed.kind === 'range' && sameKvs(expected.kvs, observed.kvs);
    case 'put':
      return observed.kind === 'put' && (observed.prevKv === undefined || sameKv(observed.prevKv, expected.prevKv ?? null));
    case 'delete-range':
      return (
        observed.kind === 'delete-range' &&
        observed.deleted === expected.deleted &&
        (observed.prevKvs === undefined || sameKvs(observed.prevKvs, expected.prevKvs ?? []))
      );
  }
}

function sameKvs(a: readonly KeyValue[], b: readonly KeyValue[]): boolean {
  return a.length === b.length && a.every((kv, i) => sameKv(kv, b[i]!));
}

function sameKv(a: KeyValue | null, b: KeyValue | null): boolean {
  if (a === null || b === null) return a === b;
  return a.key === b.key && a.value === b.value && a.createRevision === b.createRevision && a.modRevision === b.modRevision && a.version === b.version;
}
