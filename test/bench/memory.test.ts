// `trellis bench memory`: reading a member's resident set, the table it
// prints, and one short real run against a Trellis member.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVmRssBytes, renderMemoryTable, runMemoryBench } from '../../src/bench/etcd/memory.js';
import { trellisSystem } from '../../src/bench/etcd/systems.js';
import { trellis } from '../cli/client/trellis-process.js';

const status = 'Name:\tnode\nVmPeak:\t 2101028 kB\nVmRSS:\t  936168 kB\nRssAnon:\t  901692 kB\n';

test('the resident set is VmRSS from /proc/<pid>/status, in bytes; a status without it is named as the problem', () => {
  assert.equal(parseVmRssBytes(status), 936_168 * 1024);
  assert.throws(() => parseVmRssBytes('Name:\tnode\nState:\tZ (zombie)\n'), /no VmRSS line in \/proc\/<pid>\/status/);
});

test('the table gives each system its largest resident set and says whether it stayed under 1 GiB', () => {
  const table = renderMemoryTable([
    { system: 'trellis', keys: 1_000_000, members: 1, loadS: 41.2, maxRssBytes: 914 * 1024 ** 2, settledRssBytes: 900 * 1024 ** 2 },
    { system: 'etcd', keys: 1_000_000, members: 3, loadS: 60.5, maxRssBytes: 1100 * 1024 ** 2, settledRssBytes: 1000 * 1024 ** 2 },
  ]);
  assert.equal(table.split('\n')[2], '| trellis | 1,000,000 | 1 | 41.2 | 914 MiB | 900 MiB | yes |');
  assert.equal(table.split('\n')[3], '| etcd | 1,000,000 | 3 | 60.5 | 1,100 MiB | 1,000 MiB | no |');
});

test('jupiter alone takes 2,000 of boston\'s widget counts: its resident set is sampled during the load and after, and nothing is left behind', { timeout: 300_000 }, async () => {
  const tmpDir = mkdtempSync(join(tmpdir(), 'trellis-memory-test-'));
  try {
    const lines: string[] = [];
    const [result] = await runMemoryBench({
      systems: [trellisSystem()], keys: 2_000, valueBytes: 256, inflight: 16, members: 1, settleS: 1, tmpDir, logDir: join(tmpDir, 'logs'), out: (line) => lines.push(line),
    });
    assert.equal(result!.system, 'trellis');
    assert.equal(result!.keys, 2_000);
    assert.ok(result!.loadS > 0, 'the load generator reported the load');
    assert.ok(result!.settledRssBytes > 10 * 1024 ** 2, `a running member holds more than 10 MiB (${result!.settledRssBytes})`);
    assert.ok(result!.maxRssBytes >= result!.settledRssBytes, 'the largest seen is at least the last seen');
    assert.ok(lines.some((line) => /^trellis: loaded in [\d.]+ s, [\d,]+ MiB resident/.test(line)), lines.join('\n'));
    assert.deepEqual(readdirSync(tmpDir).filter((name) => name.startsWith('trellis-bench-memory-')), [], 'the member\'s data directory is removed');
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
});

test('bench memory names a bad --systems or --members and starts nothing', async () => {
  const unknown = await trellis(['bench', 'memory', '--systems', 'trellis,zookeeper']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /error: --systems: unknown system "zookeeper"; choose from etcd, etcd-b, trellis, trellis-b/);
  const twice = await trellis(['bench', 'memory', '--systems', 'etcd,etcd']);
  assert.match(twice.stderr, /--systems names a system twice/);
  const members = await trellis(['bench', 'memory', '--members', '2']);
  assert.equal(members.status, 1);
  assert.match(members.stderr, /error: --members must be 1 or 3, got "2"/);
  assert.equal(`${unknown.stdout}${twice.stdout}${members.stdout}`, '', 'no table: nothing was measured');
});
