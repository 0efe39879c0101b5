// The trellis client commands print what etcdctl 3.4 prints. The same
// scripted session runs twice, etcdctl against one fresh Trellis server and
// trellis against another, both in-process on ephemeral ports; each step's
// output, error lines and exit status must match after normalising what
// legitimately differs between runs (ports, lease ids, durations).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startLocalEtcd } from '../../api/local-etcd.js';
import { sessionSteps } from './session-steps.js';
import { etcdctlPath, runSession, type ClientName } from './session.js';

async function session(client: ClientName): Promise<{ outcomes: Awaited<ReturnType<typeof runSession>>; snapshotSaved: boolean }> {
  const workDir = mkdtempSync(join(tmpdir(), `trellis-client-${client}-`));
  const etcd = await startLocalEtcd();
  try {
    const outcomes = await runSession(client, etcd.address, workDir, sessionSteps);
    return { outcomes, snapshotSaved: existsSync(join(workDir, 'snapshot.db')) };
  } finally {
    await etcd.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

test('trellis prints what etcdctl 3.4 prints, step by step, against identical Trellis servers', async (t) => {
  assert.ok(existsSync(etcdctlPath), `${etcdctlPath} is missing: install Debian's etcd-client (.ci/run does)`);
  const [reference, ours] = await Promise.all([session('etcdctl'), session('trellis')]);
  assert.equal(ours.outcomes.length, sessionSteps.length);
  for (let i = 0; i < sessionSteps.length; i++) {
    const step = sessionSteps[i]!;
    const expected = reference.outcomes[i]!;
    const actual = ours.outcomes[i]!;
    await t.test(step.title, () => {
      assert.equal(actual.command, expected.command);
      if (step.trellisSays === undefined) {
        assert.equal(actual.output, expected.output);
        return;
      }
      assert.equal(actual.stdout, expected.stdout);
      assert.equal(actual.exit, expected.exit);
      assert.notEqual(actual.exit, '0', 'a step with its own error wording fails');
      assert.match(actual.userErrors, step.trellisSays);
    });
  }
  assert.ok(reference.snapshotSaved && ours.snapshotSaved, 'both saved the snapshot file');
});
