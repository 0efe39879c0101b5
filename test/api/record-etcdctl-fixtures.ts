// Re-records test/fixtures/etcdctl/session.txt from real etcd 3.4:
//   npx tsc ... && node .build/api/test/api/record-etcdctl-fixtures.js
// It starts /usr/bin/etcd on unusual ports with a temporary data directory,
// runs the etcdctl scenario, writes the normalised outputs and stops etcd.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatOutcomes, runScenario } from './etcdctl-scenario.js';

export const fixturePath = join(process.cwd(), 'test', 'fixtures', 'etcdctl', 'session.txt');

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'trellis-etcd-ref-'));
  const clientPort = 23_000 + Math.floor(Math.random() * 1000);
  const peerPort = clientPort + 1000;
  const etcd = spawn('/usr/bin/etcd', [
    '--name', 'trellis',
    '--data-dir', join(workDir, 'data'),
    '--listen-client-urls', `http://127.0.0.1:${clientPort}`,
    '--advertise-client-urls', `http://127.0.0.1:${clientPort}`,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `trellis=http://127.0.0.1:${peerPort}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let log = '';
      etcd.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        log += chunk;
        if (log.includes('ready to serve client requests')) resolve();
      });
      etcd.on('exit', (code) => reject(new Error(`etcd exited with ${code} before it was ready:\n${log}`)));
    });
    const outcomes = await runScenario(`127.0.0.1:${clientPort}`, workDir);
    writeFileSync(fixturePath, formatOutcomes(outcomes));
    console.log(`recorded ${outcomes.length} steps into ${fixturePath}`);
  } finally {
    etcd.kill('SIGTERM');
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
