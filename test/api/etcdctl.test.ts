// etcdctl 3.4 against Trellis's LocalBackend prints what it prints against
// etcd 3.4 itself: the fixture was recorded from real etcd by
// record-etcdctl-fixtures.ts running this same scenario.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { etcdctlPath, parseOutcomes, runScenario } from './etcdctl-scenario.js';
import { startLocalEtcd } from './local-etcd.js';

const fixture = join(process.cwd(), 'test', 'fixtures', 'etcdctl', 'session.txt');

test('etcdctl prints against Trellis exactly what it prints against etcd 3.4', async (t) => {
  assert.ok(existsSync(etcdctlPath), `${etcdctlPath} is missing: install Debian's etcd-client (.ci/run does)`);
  const expected = parseOutcomes(readFileSync(fixture, 'utf8'));
  const workDir = mkdtempSync(join(tmpdir(), 'trellis-etcdctl-'));
  const etcd = await startLocalEtcd();
  try {
    const actual = await runScenario(`127.0.0.1:${etcd.server.port}`, workDir);
    assert.equal(actual.length, expected.length, 'the scenario and the fixture have the same steps: re-record the fixture');
    for (let i = 0; i < expected.length; i++) {
      await t.test(expected[i]!.title, () => {
        assert.equal(actual[i]!.command, expected[i]!.command);
        assert.equal(actual[i]!.output.replace(/\n+$/, ''), expected[i]!.output);
      });
    }
    assert.ok(existsSync(join(workDir, 'snapshot.db')), 'snapshot save wrote the file');
  } finally {
    await etcd.close();
    rmSync(workDir, { recursive: true, force: true });
  }
});
