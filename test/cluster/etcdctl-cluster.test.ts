// etcdctl 3.4 against a three-member Trellis cluster of real processes
// prints what it prints against a three-member etcd 3.4 cluster (the fixture
// was recorded by record-cluster-fixtures.ts running this same scenario).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { etcdctlPath, parseOutcomes, runScenario } from '../api/etcdctl-scenario.js';
import { clusterSteps } from './etcdctl-cluster-scenario.js';
import { TestCluster, freePort } from './processes.js';

const fixture = join(process.cwd(), 'test', 'fixtures', 'etcdctl', 'cluster.txt');

test('etcdctl prints against a three-member Trellis cluster what it prints against three etcd 3.4 members', async (t) => {
  assert.ok(existsSync(etcdctlPath), `${etcdctlPath} is missing: install Debian's etcd-client (.ci/run does)`);
  const expected = parseOutcomes(readFileSync(fixture, 'utf8'));
  const workDir = mkdtempSync(join(tmpdir(), 'trellis-etcdctl-cluster-'));
  const cluster = await TestCluster.start();
  try {
    const spare = `http://127.0.0.1:${await freePort()}`;
    const actual = await runScenario(cluster.endpoints, workDir, clusterSteps(() => spare), new Map([['_first-endpoint', cluster.endpoint('n1')]]));
    assert.equal(actual.length, expected.length, 'the scenario and the fixture have the same steps: re-record the fixture');
    for (let i = 0; i < expected.length; i++) {
      await t.test(expected[i]!.title, () => {
        assert.equal(actual[i]!.command, expected[i]!.command);
        assert.equal(actual[i]!.output.replace(/\n+$/, ''), expected[i]!.output);
      });
    }
    assert.ok(existsSync(join(workDir, 'snapshot.db')), 'snapshot save wrote the file');
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
});
