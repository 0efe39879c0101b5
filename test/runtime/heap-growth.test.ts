// A member's heap fills as it takes on boston's, philadelphia's, london's and
// pune's widget counts by the hundred thousand: the growth bound comes on once
// the heap is large and goes off when it is small again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { HeapGrowthBound } from '../../src/runtime/node/heap-growth.js';

const MiB = 1024 * 1024;

function member(execArgv: readonly string[] = []): { bound: HeapGrowthBound; flags: string[]; heap: { usedBytes: number } } {
  const flags: string[] = [];
  const heap = { usedBytes: 40 * MiB };
  const bound = new HeapGrowthBound(
    { largeHeapBytes: 256 * MiB, growingPercent: 50, checkIntervalMs: 1_000 },
    { usedHeapBytes: () => heap.usedBytes, setV8Flags: (f) => flags.push(f), execArgv },
  );
  return { bound, flags, heap };
}

test('a small heap is left to V8; past 256 MiB growth is bounded to 1.5x, once', () => {
  const { bound, flags, heap } = member();
  bound.check();
  assert.deepEqual(flags, [], 'nothing set while the heap is small');
  heap.usedBytes = 300 * MiB;
  bound.check();
  bound.check();
  assert.deepEqual(flags, ['--heap-growing-percent=50']);
  assert.equal(bound.isBounded, true);
});

test('after a compaction shrinks the heap below half the threshold, V8 chooses again', () => {
  const { bound, flags, heap } = member();
  heap.usedBytes = 600 * MiB;
  bound.check();
  heap.usedBytes = 200 * MiB;
  bound.check();
  assert.equal(bound.isBounded, true, 'between half and the threshold the bound stays (no flapping)');
  heap.usedBytes = 100 * MiB;
  bound.check();
  assert.deepEqual(flags, ['--heap-growing-percent=50', '--heap-growing-percent=0']);
  assert.equal(bound.isBounded, false);
});

test('a member started with its own --heap-growing-percent keeps it', () => {
  const { bound, flags, heap } = member(['--heap-growing-percent=20']);
  heap.usedBytes = 900 * MiB;
  bound.check();
  assert.deepEqual(flags, []);
  assert.equal(bound.isBounded, false);
});

test('a V8 that refuses the flag leaves the member running and the heap to V8, and is not asked again', () => {
  let asked = 0;
  const bound = new HeapGrowthBound(
    { largeHeapBytes: 256 * MiB, growingPercent: 50, checkIntervalMs: 1_000 },
    { usedHeapBytes: () => 900 * MiB, setV8Flags: () => { asked++; throw new Error('flags are frozen'); }, execArgv: [] },
  );
  bound.check();
  bound.check();
  assert.equal(bound.isBounded, false);
  assert.equal(bound.refusedBecause, 'V8 refused --heap-growing-percent=50: flags are frozen');
  assert.equal(asked, 1);
});

test('a member whose V8 refuses the flag hears why once, and its checks end', async () => {
  let asked = 0;
  const bound = new HeapGrowthBound(
    { largeHeapBytes: 256 * MiB, growingPercent: 50, checkIntervalMs: 5 },
    { usedHeapBytes: () => 900 * MiB, setV8Flags: () => { asked++; throw new Error('flags are frozen'); }, execArgv: [] },
  );
  const heard = await new Promise<string>((resolve) => bound.start(resolve));
  assert.equal(heard, 'V8 refused --heap-growing-percent=50: flags are frozen');
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(asked, 1, 'no check after the refusal');
});

test('this Node\'s V8 knows the flag the bound sets (V8 ignores flags it does not know)', () => {
  const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
  assert.equal(options.status, 0);
  assert.match(options.stdout, /--heap-growing-percent \(specifies heap growing factor/);
});
