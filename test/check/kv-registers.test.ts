import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizability, kvRegistersModel, type KvInput, type KvOutput, type Operation } from '../../src/check/index.js';

type KvOperation = Operation<KvInput, KvOutput>;
const model = kvRegistersModel();
const done = (clientId: string, input: KvInput, output: KvOutput, callMs: number, returnMs: number): KvOperation => ({
  clientId, input, output, callMs, returnMs,
});
const failed = (clientId: string, input: KvInput, callMs: number): KvOperation => ({ clientId, input, callMs });

test('widget counts for different cities never constrain each other', () => {
  const history = [
    done('alice', { kind: 'put', key: 'boston', value: '10' }, { kind: 'put' }, 0, 5),
    done('bob', { kind: 'put', key: 'pune', value: '7' }, { kind: 'put' }, 1, 4),
    done('bob', { kind: 'get', key: 'boston' }, { kind: 'get', value: '10' }, 6, 7),
    done('alice', { kind: 'get', key: 'pune' }, { kind: 'get', value: '7' }, 6, 8),
  ];
  const result = checkLinearizability(model, history);
  assert.equal(result.verdict, 'ok');
  assert.equal(result.partsTotal, 2);
});

test('a stale read names the key whose history breaks', () => {
  const history = [
    done('alice', { kind: 'put', key: 'london', value: '3' }, { kind: 'put' }, 0, 2),
    done('alice', { kind: 'put', key: 'boston', value: '10' }, { kind: 'put' }, 3, 5),
    done('alice', { kind: 'put', key: 'boston', value: '11' }, { kind: 'put' }, 6, 8),
    done('bob', { kind: 'get', key: 'london' }, { kind: 'get', value: '3' }, 9, 10),
    done('bob', { kind: 'get', key: 'boston' }, { kind: 'get', value: '10' }, 9, 10),
  ];
  const result = checkLinearizability(model, history);
  assert.equal(result.verdict, 'violation');
  if (result.verdict !== 'violation') return;
  assert.equal(result.violation.partKey, 'boston');
  assert.equal(result.violation.stateAfterPrefix, '{"boston":"11"}');
  assert.match(result.violation.text, /part "boston"/);
});

test('a lost update: two compare-and-sets from the same value cannot both succeed', () => {
  const history = [
    done('alice', { kind: 'put', key: 'philadelphia', value: '0' }, { kind: 'put' }, 0, 1),
    done('alice', { kind: 'cas', key: 'philadelphia', expected: '0', value: '1' }, { kind: 'cas', succeeded: true }, 2, 6),
    done('bob', { kind: 'cas', key: 'philadelphia', expected: '0', value: '1' }, { kind: 'cas', succeeded: true }, 3, 5),
  ];
  assert.equal(checkLinearizability(model, history).verdict, 'violation');
  const oneFails = [history[0]!, history[1]!, { ...history[2]!, output: { kind: 'cas', succeeded: false } as const }];
  assert.equal(checkLinearizability(model, oneFails).verdict, 'ok');
});

test('a failed compare-and-set that took effect explains what bob then reads', () => {
  const history = [
    failed('alice', { kind: 'cas', key: 'pune', expected: null, value: 'alice' }, 0),
    done('bob', { kind: 'cas', key: 'pune', expected: null, value: 'bob' }, { kind: 'cas', succeeded: false }, 5, 6),
    done('bob', { kind: 'get', key: 'pune' }, { kind: 'get', value: 'alice' }, 7, 8),
  ];
  assert.equal(checkLinearizability(model, history).verdict, 'ok');
});

test('a delete that reports it deleted something needs a value to delete', () => {
  const deleteSeen = (deleted: boolean) => [
    done('alice', { kind: 'put', key: 'london', value: '1' }, { kind: 'put' }, 0, 1),
    done('bob', { kind: 'delete', key: 'london' }, { kind: 'delete', deleted }, 2, 3),
    done('alice', { kind: 'delete', key: 'london' }, { kind: 'delete', deleted }, 4, 5),
  ];
  assert.equal(checkLinearizability(model, deleteSeen(true)).verdict, 'violation');
  const [put, first, second] = deleteSeen(true);
  const correct = [put!, first!, { ...second!, output: { kind: 'delete', deleted: false } as const }];
  assert.equal(checkLinearizability(model, correct).verdict, 'ok');
});

test('a put that reports the previous value is checked against it', () => {
  const history = [
    done('alice', { kind: 'put', key: 'boston', value: '1' }, { kind: 'put', previous: null }, 0, 1),
    done('bob', { kind: 'put', key: 'boston', value: '2' }, { kind: 'put', previous: null }, 2, 3),
  ];
  assert.equal(checkLinearizability(model, history).verdict, 'violation');
});

test('a pending get is ignored whatever it would have seen', () => {
  const history = [
    done('alice', { kind: 'put', key: 'boston', value: '1' }, { kind: 'put' }, 0, 1),
    failed('bob', { kind: 'get', key: 'boston' }, 0),
  ];
  assert.equal(checkLinearizability(model, history).verdict, 'ok');
});
