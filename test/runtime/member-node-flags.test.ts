import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memberNodeFlags, memberSemiSpaceMiB } from '../../src/runtime/node/member-node-flags.js';

const trellisMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** The largest young generation a node started with these flags reaches under a steady stream of short-lived objects. */
function youngGenerationMiB(flags: readonly string[]): number {
  const program = [
    "const { getHeapSpaceStatistics } = require('node:v8');",
    'let kept = [];',
    "for (let i = 0; i < 3e6; i++) { kept.push({ city: 'pune' + i, count: i }); if (kept.length > 20000) kept = []; }",
    "console.log(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576);",
  ].join('\n');
  const run = spawnSync(process.execPath, [...flags, '-e', program], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stdout.trim());
}

test("a member's node gets Trellis's young generation: two semi-spaces of 8 MiB, where V8 alone grows to two of 16", () => {
  assert.deepEqual(memberNodeFlags(), [`--max-semi-space-size=${memberSemiSpaceMiB}`]);
  assert.equal(youngGenerationMiB(memberNodeFlags()), 2 * memberSemiSpaceMiB);
  assert.ok(youngGenerationMiB([]) > 2 * memberSemiSpaceMiB, 'without the flag V8 grows the young generation past it, so the flag is what bounds it');
});

test('flags of the caller come after it, and a caller that sizes the young generation itself keeps its size', () => {
  assert.deepEqual(memberNodeFlags(['--cpu-prof']), [`--max-semi-space-size=${memberSemiSpaceMiB}`, '--cpu-prof']);
  assert.deepEqual(memberNodeFlags(['--max-semi-space-size=32', '--cpu-prof']), ['--max-semi-space-size=32', '--cpu-prof']);
  assert.deepEqual(memberNodeFlags(['--min_semi_space_size=2']), ['--min_semi_space_size=2']);
  assert.equal(youngGenerationMiB(memberNodeFlags(['--max-semi-space-size=2'])), 4);
});

test('trellis run from a shell starts node with the same flag, on its first line', () => {
  const firstLine = readFileSync(trellisMain, 'utf8').split('\n', 1)[0];
  assert.equal(firstLine, `#!/usr/bin/env -S node ${memberNodeFlags().join(' ')}`);
  // The kernel reads that line when the file runs as a program (as npm's bin link does).
  const run = spawnSync('sh', ['-c', `chmod +x "${trellisMain}" && "${trellisMain}" --version`], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /\d+\.\d+\.\d+/);
});
