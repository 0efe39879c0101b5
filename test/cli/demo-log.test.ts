import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const trellis = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('trellis demo log narrates group commit, a torn tail cut, truncation, the low-water mark and a refused bit flip', () => {
  const run = spawnSync(process.execPath, [trellis, 'demo', 'log'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /40 concurrent appends acknowledged \(indices 1\.\.40\)/);
  assert.match(run.stdout, /recovery cut the torn tail: .* 7 bytes dropped/);
  assert.match(run.stdout, /Record 31 now reads "boston=999/);
  assert.match(run.stdout, /low-water mark removed [1-9]\d* whole segment/);
  assert.match(run.stdout, /Refused on open, nothing served: .* is corrupt at byte \d+/);
  assert.doesNotMatch(run.stdout, /SHOULD NOT HAPPEN/);
});

test('trellis --help lists its commands and an unknown command is named', () => {
  const help = spawnSync(process.execPath, [trellis, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /bench/);
  assert.match(help.stdout, /demo/);
  const wrong = spawnSync(process.execPath, [trellis, 'frobnicate'], { encoding: 'utf8' });
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /unknown command 'frobnicate'/);
});
