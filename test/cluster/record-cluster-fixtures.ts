// Re-records test/fixtures/etcdctl/cluster.txt from a real three-member etcd 3.4 cluster:
//   npx tsc -p tsconfig.json --outDir .build/rec && node .build/rec/test/cluster/record-cluster-fixtures.js
// The same scenario then checks Trellis in etcdctl-cluster.test.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatOutcomes, runScenario } from '../api/etcdctl-scenario.js';
import { clusterSteps } from './etcdctl-cluster-scenario.js';
import { TestCluster, freePort } from './processes.js';

export const clusterFixturePath = join(process.cwd(), 'test', 'fixtures', 'etcdctl', 'cluster.txt');

async function main(): Promise<void> {
  const cluster = await TestCluster.start({ system: 'etcd' });
  const workDir = mkdtempSync(join(tmpdir(), 'trellis-etcd-cluster-ref-'));
  try {
    // etcd refuses membership changes until its members have been connected for a while ("unhealthy cluster").
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const spare = `http://127.0.0.1:${await freePort()}`;
    const outcomes = await runScenario(cluster.endpoints, workDir, clusterSteps(() => spare), new Map([['_first-endpoint', cluster.endpoint('n1')]]));
    writeFileSync(clusterFixturePath, formatOutcomes(outcomes));
    console.log(`recorded ${outcomes.length} steps into ${clusterFixturePath}`);
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
