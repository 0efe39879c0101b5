import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeKvCommand, encodeKvCommand, type KvCommand } from '../../src/kv/kv-command.js';
import { checkKvCommand, KvStateMachine, type KvResult } from '../../src/kv/kv-state-machine.js';
import { defaultKvLimits } from '../../src/kv/limits.js';

const b = (text: string): Uint8Array => new TextEncoder().encode(text);
const put = (key: string, value: string | Uint8Array, lease = 0n): Uint8Array =>
  encodeKvCommand({ type: 'put', request: { key: b(key), value: typeof value === 'string' ? b(value) : value, lease } });

function errorOf(result: KvResult): string | null {
  return result.ok ? null : result.error.message;
}

const bytesArb = fc.uint8Array({ maxLength: 6 });
const rangeArb = fc.record({
  key: bytesArb, rangeEnd: bytesArb, limit: fc.nat(), revision: fc.nat(), sortOrder: fc.constantFrom('none' as const, 'ascend' as const, 'descend' as const),
  sortTarget: fc.constantFrom('key' as const, 'version' as const, 'create' as const, 'mod' as const, 'value' as const), keysOnly: fc.boolean(), countOnly: fc.boolean(),
  minModRevision: fc.nat(), maxModRevision: fc.nat(), minCreateRevision: fc.nat(), maxCreateRevision: fc.nat(),
});
const putArb = fc.record({ key: bytesArb, value: bytesArb, lease: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), prevKv: fc.boolean(), ignoreValue: fc.boolean(), ignoreLease: fc.boolean() });
const deleteArb = fc.record({ key: bytesArb, rangeEnd: bytesArb, prevKv: fc.boolean() });
const compareArb = fc.oneof(
  fc.record({ key: bytesArb, rangeEnd: bytesArb, result: fc.constantFrom('equal' as const, 'less' as const), target: fc.constant('value' as const), value: bytesArb }),
  fc.record({ key: bytesArb, rangeEnd: bytesArb, result: fc.constantFrom('greater' as const, 'not-equal' as const), target: fc.constant('mod' as const), modRevision: fc.integer({ min: -5, max: 1e12 }) }),
  fc.record({ key: bytesArb, rangeEnd: bytesArb, result: fc.constant('equal' as const), target: fc.constant('lease' as const), lease: fc.bigInt({ min: 0n, max: 1n << 62n }) }),
);
const { txn: txnArb } = fc.letrec((tie) => ({
  txn: fc.record({ compare: fc.array(compareArb, { maxLength: 2 }), success: fc.array(tie('op'), { maxLength: 2 }), failure: fc.array(tie('op'), { maxLength: 2 }) }),
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rangeArb.map((request) => ({ type: 'range', request })),
    putArb.map((request) => ({ type: 'put', request })),
    deleteArb.map((request) => ({ type: 'delete-range', request })),
    tie('txn').map((request) => ({ type: 'txn', request })),
  ),
}));
const commandArb = fc.oneof(
  rangeArb.map((request) => ({ type: 'range', request })),
  putArb.map((request) => ({ type: 'put', request })),
  deleteArb.map((request) => ({ type: 'delete-range', request })),
  txnArb.map((request) => ({ type: 'txn', request })),
  fc.nat().map((revision) => ({ type: 'compact', request: { revision } })),
  fc.record({ id: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), ttlSeconds: fc.integer({ min: -10, max: 1e10 }) }).map((request) => ({ type: 'lease-grant', request })),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((id) => ({ type: 'lease-revoke', request: { id } })),
) as fc.Arbitrary<KvCommand>;

function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

test('every command survives encoding and decoding unchanged', () => {
  fc.assert(
    fc.property(commandArb, (command) => {
      assert.deepEqual(normalise(decodeKvCommand(encodeKvCommand(command))), normalise(command));
    }),
    { numRuns: 500 },
  );
});

test('bytes that are not a command come back as an error result, never an exception', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const result = new KvStateMachine().applyCommand(bytes, 1);
      assert.ok(result.ok || result.error.code === 'malformed-command' || result.error.code === 'empty-key' || typeof result.error.message === 'string');
    }),
    { numRuns: 500 },
  );
  const result = new KvStateMachine().applyCommand(new Uint8Array([1, 99]), 1);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.error.code, 'malformed-command');
});

test('members applying the same log agree on every result and on the hash, even one restored from a snapshot midway', () => {
  fc.assert(
    fc.property(fc.array(commandArb, { maxLength: 40 }), fc.nat(40), (commands, snapshotAt) => {
      const jupiter = new KvStateMachine();
      let saturn = new KvStateMachine();
      commands.forEach((command, index) => {
        if (index === snapshotAt) {
          saturn = new KvStateMachine();
          saturn.restore(jupiter.snapshot(new Uint8Array()).toBytes());
        }
        const bytes = encodeKvCommand(command);
        assert.deepEqual(normalise(saturn.applyCommand(bytes, index + 1)), normalise(jupiter.applyCommand(bytes, index + 1)));
      });
      assert.deepEqual(saturn.hashKv(0), jupiter.hashKv(0));
    }),
    { numRuns: 200 },
  );
});

test('a request over maxRequestBytes is refused before proposing and at apply', () => {
  const machine = new KvStateMachine({ maxRequestBytes: 1024 });
  const big: KvCommand = { type: 'put', request: { key: b('boston'), value: new Uint8Array(2000) } };
  assert.equal(checkKvCommand(big, machine.limits)?.message, 'etcdserver: request is too large');
  assert.equal(errorOf(machine.applyCommand(encodeKvCommand(big), 1)), 'etcdserver: request is too large');
  assert.equal(machine.revision, 1);
  assert.equal(checkKvCommand({ type: 'put', request: { key: b('boston'), value: new Uint8Array(100) } }, machine.limits), null);
  assert.equal(defaultKvLimits.maxRequestBytes, 1.5 * 1024 * 1024);
});

test('past the space quota puts, txns with puts and lease grants are refused; reads, deletes and compaction go on', () => {
  const machine = new KvStateMachine({ quotaBytes: 20_000 });
  const value = new Uint8Array(900);
  let accepted = 0;
  let index = 1;
  for (;;) {
    const result = machine.applyCommand(put(`pune/${accepted}`, value), index++);
    if (!result.ok) {
      assert.equal(result.error.message, 'etcdserver: mvcc: database space exceeded');
      break;
    }
    accepted++;
  }
  assert.ok(accepted > 5 && accepted < 25, `accepted ${accepted}`);
  const revision = machine.revision;
  const samePutInTxn = { type: 'put' as const, request: { key: b(`pune/${accepted}`), value } };
  const txnWithPut = encodeKvCommand({ type: 'txn', request: { compare: [], success: [], failure: [samePutInTxn] } });
  assert.equal(errorOf(machine.applyCommand(txnWithPut, index++)), 'etcdserver: mvcc: database space exceeded');
  let leaseError: string | null = null;
  for (let grants = 0; leaseError === null; grants++) {
    assert.ok(grants < 100, 'lease grants must hit the quota too');
    leaseError = errorOf(machine.applyCommand(encodeKvCommand({ type: 'lease-grant', request: { id: 0n, ttlSeconds: 60 } }), index++));
  }
  assert.equal(leaseError, 'etcdserver: mvcc: database space exceeded');
  assert.equal(machine.revision, revision);
  assert.equal(machine.range({ key: b('pune/0') }).ok, true);
  const usedBeforeDelete = machine.store.usedBytes;
  assert.equal(errorOf(machine.applyCommand(encodeKvCommand({ type: 'delete-range', request: { key: b('pune/'), rangeEnd: b('pune0') } }), index++)), null);
  // Tombstones still take room until compaction reclaims the history.
  assert.ok(machine.store.usedBytes > usedBeforeDelete);
  assert.equal(errorOf(machine.applyCommand(encodeKvCommand({ type: 'compact', request: { revision: machine.revision } }), index++)), null);
  assert.ok(machine.store.usedBytes < usedBeforeDelete / 2, `after compaction ${machine.store.usedBytes} bytes`);
  assert.equal(errorOf(machine.applyCommand(put('boston', value), index++)), null);
});

test('HashKV differs once any value differs, and refuses compacted and future revisions', () => {
  const jupiter = new KvStateMachine();
  const neptune = new KvStateMachine();
  jupiter.applyCommand(put('london', '1'), 1);
  neptune.applyCommand(put('london', '2'), 1);
  assert.notEqual(jupiter.hashKv(0).ok && jupiter.hashKv(0).ok ? (jupiter.hashKv(0) as { value: { hash: number } }).value.hash : 0, (neptune.hashKv(0) as { value: { hash: number } }).value.hash);
  assert.equal(errorOf(jupiter.hashKv(5) as KvResult), 'etcdserver: mvcc: required revision is a future revision');
  jupiter.applyCommand(put('london', '3'), 2);
  jupiter.applyCommand(encodeKvCommand({ type: 'compact', request: { revision: 3 } }), 3);
  assert.equal(errorOf(jupiter.hashKv(2) as KvResult), 'etcdserver: mvcc: required revision has been compacted');
  const atTwo = jupiter.hashKv(3);
  assert.equal(atTwo.ok, true);
});

test('the front-door check refuses what apply would refuse, without touching the store', () => {
  const limits = { ...defaultKvLimits, maxTxnOps: 2 };
  const duplicate: KvCommand = {
    type: 'txn',
    request: { compare: [], success: [{ type: 'put', request: { key: b('london'), value: b('1') } }, { type: 'put', request: { key: b('london'), value: b('2') } }], failure: [] },
  };
  assert.equal(checkKvCommand(duplicate, limits)?.message, 'etcdserver: duplicate key given in txn request');
  const tooMany: KvCommand = { type: 'txn', request: { compare: [], success: [], failure: ['a', 'b', 'c'].map((key) => ({ type: 'delete-range' as const, request: { key: b(key) } })) } };
  assert.equal(checkKvCommand(tooMany, limits)?.message, 'etcdserver: too many operations in txn request');
  assert.equal(checkKvCommand({ type: 'delete-range', request: { key: new Uint8Array() } }, limits)?.message, 'etcdserver: key is not provided');
  const machine = new KvStateMachine({ maxTxnOps: 2 });
  assert.equal(errorOf(machine.applyCommand(encodeKvCommand(duplicate), 1)), 'etcdserver: duplicate key given in txn request');
  assert.equal(errorOf(machine.applyCommand(encodeKvCommand(tooMany), 2)), 'etcdserver: too many operations in txn request');
  assert.equal(machine.revision, 1);
});
