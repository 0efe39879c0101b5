// Not a test: a check to run by hand when etcd 3.4 is installed. The parity
// session, etcdctl against one fresh etcd and trellis against another, then
// every step that differs. Expected differences: the steps marked
// trellisSays, `alarm list -w fields` (etcdctl 3.4 panics on etcd's
// headerless alarm answer), and hashkv (etcd's lease ids come from the clock,
// so the two histories differ in them).
//   node dist/test/cli/client/against-etcd.js [step title substring ...]

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep } from '../../cluster/processes.js';
import { sessionSteps } from './session-steps.js';
import { runSession } from './session.js';

async function startEtcd(): Promise<{ address: string; dir: string; child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-against-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  // Same name and advertised peer URL as the Trellis test server, so member lists read alike.
  const child = spawn('/usr/bin/etcd', [
    '--name', 'trellis', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--initial-cluster', 'trellis=http://127.0.0.1:2380',
  ], { stdio: 'ignore' });
  await sleep(3_000);
  return { address: `127.0.0.1:${client}`, dir, child };
}

const titles = process.argv.slice(2);
const steps = sessionSteps.filter((step) => titles.length === 0 || titles.some((title) => step.title.includes(title)));
const [reference, ours] = await Promise.all([startEtcd(), startEtcd()]);
try {
  const [expected, actual] = await Promise.all([runSession('etcdctl', reference.address, reference.dir, steps), runSession('trellis', ours.address, ours.dir, steps)]);
  let same = 0;
  for (let i = 0; i < steps.length; i++) {
    if (expected[i]!.output === actual[i]!.output) same++;
    else console.log(`=== ${steps[i]!.title}\n--- etcdctl\n${expected[i]!.output}\n--- trellis\n${actual[i]!.output}\n`);
  }
  console.log(`${same} of ${steps.length} steps identical`);
} finally {
  for (const etcd of [reference, ours]) {
    etcd.child.kill();
    rmSync(etcd.dir, { recursive: true, force: true });
  }
}
