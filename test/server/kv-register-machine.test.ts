import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logIndex, term } from '../../src/ids.js';
import type { Entry } from '../../src/consensus/types.js';
import { type KvCommand, KvRegisterMachine, decodeKvCommand, encodeKvCommand } from '../../src/server/kv-register-machine.js';

let nextIndex = 1;
const entry = (command: KvCommand): Entry => ({ index: logIndex(nextIndex++), term: term(1), kind: 'normal', data: encodeKvCommand(command) });

test('widget counts: put, compare-and-set, get and delete behave as registers', () => {
  const machine = new KvRegisterMachine();
  assert.deepEqual(machine.apply(entry({ op: 'put', key: 'boston', value: '10' })), { op: 'put', previous: null });
  assert.deepEqual(machine.apply(entry({ op: 'cas', key: 'boston', expected: '9', value: '11' })), { op: 'cas', succeeded: false, previous: '10' });
  assert.deepEqual(machine.apply(entry({ op: 'cas', key: 'boston', expected: '10', value: '11' })), { op: 'cas', succeeded: true, previous: '10' });
  assert.deepEqual(machine.apply(entry({ op: 'cas', key: 'pune', expected: null, value: '3' })), { op: 'cas', succeeded: true, previous: null });
  assert.deepEqual(machine.apply(entry({ op: 'get', key: 'boston' })), { op: 'get', value: '11' });
  assert.deepEqual(machine.apply(entry({ op: 'delete', key: 'london' })), { op: 'delete', existed: false });
  assert.deepEqual(machine.apply(entry({ op: 'delete', key: 'pune' })), { op: 'delete', existed: true });
  assert.deepEqual(machine.entries(), [['boston', '11']]);
});

test('a snapshot restores the same registers on another member', () => {
  const jupiter = new KvRegisterMachine();
  jupiter.apply(entry({ op: 'put', key: 'philadelphia', value: '4' }));
  jupiter.apply(entry({ op: 'put', key: 'london', value: '7' }));
  const saturn = new KvRegisterMachine();
  saturn.apply(entry({ op: 'put', key: 'pune', value: 'stale' }));
  saturn.restore(jupiter.snapshot());
  assert.deepEqual(saturn.entries(), [['london', '7'], ['philadelphia', '4']]);
});

test('bytes that are not a command give an invalid result instead of throwing', () => {
  const machine = new KvRegisterMachine();
  const garbage: Entry = { index: logIndex(99), term: term(1), kind: 'normal', data: new Uint8Array([0xff, 0x00]) };
  assert.equal(machine.apply(garbage).op, 'invalid');
  assert.equal(decodeKvCommand(new TextEncoder().encode('{"op":"put","key":"boston"}')), null);
});
