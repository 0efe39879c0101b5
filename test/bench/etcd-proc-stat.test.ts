import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpuSecondsOf, parseProcStat } from '../../src/bench/etcd/proc-stat.js';

// Fields 14 and 15 (utime, stime) are 1234 and 567 in both lines.
const tail = 'S 1 4242 4242 0 -1 4194560 10 0 0 0 1234 567 0 0 20 0 12 0 100 1000000 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';

test('utime and stime are read from a member\'s /proc/<pid>/stat line', () => {
  assert.deepEqual(parseProcStat(`4242 (etcd) ${tail}\n`), { pid: 4242, utimeTicks: 1234, stimeTicks: 567 });
});

test('a command name holding spaces and parentheses does not shift the fields', () => {
  assert.deepEqual(parseProcStat(`77 (node (jupiter) 2) ${tail}`), { pid: 77, utimeTicks: 1234, stimeTicks: 567 });
});

test('a line that is not a stat line is refused with the reason', () => {
  assert.throws(() => parseProcStat('hello'), /not a \/proc\/<pid>\/stat line/);
  assert.throws(() => parseProcStat('12 (etcd) S 1 2'), /utime or stime is not a number/);
});

test('the CPU time of a live process is read, and a process that is gone is named', () => {
  assert.ok(cpuSecondsOf(process.pid) > 0, 'this test process has used some CPU');
  const finished = spawnSync('true');
  assert.equal(finished.status, 0);
  assert.throws(() => cpuSecondsOf(finished.pid!), new RegExp(`process ${finished.pid} is gone`));
});
