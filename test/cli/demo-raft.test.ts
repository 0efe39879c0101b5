import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatRaftDemo } from '../../src/cli/demo-raft-command.js';
import { defaultDemoSeed, demoPlanets, runRaftDemo, type RaftDemoStory } from '../../src/cli/demo-raft-story.js';

const trellis = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function row(story: RaftDemoStory, step: number, node: string) {
  const found = story.steps[step]!.table.find((each) => each.node === node);
  assert.ok(found !== undefined, `step ${step + 1} has a row for ${node}`);
  return found;
}

/** The facts the story claims, checked against the tables it printed. */
function assertStoryHolds(story: RaftDemoStory): void {
  const f = story.facts;
  assert.deepEqual(story.violations, []);
  assert.equal(story.steps.length, 7);

  // 1. One leader, two followers, one term; heartbeats kept it that way.
  const election = story.steps[0]!.table;
  assert.deepEqual(election.map((r) => r.role).sort(), ['follower', 'follower', 'leader']);
  assert.equal(election.find((r) => r.role === 'leader')!.node, f.firstLeader);
  assert.ok(election.every((r) => r.term === f.firstTerm));
  assert.ok(f.heartbeatsInQuietSecond >= 2 * 5, `heartbeats to both followers (${f.heartbeatsInQuietSecond})`);
  assert.equal(f.termAfterQuietSecond, f.firstTerm, 'no election while heartbeats flow');

  // 2. Committed once two of three held it; the third did not have it.
  const laggard = demoPlanets.find((p) => !f.holdersAtCommit.includes(p))!;
  assert.equal(f.holdersAtCommit.length, 2);
  assert.ok(f.holdersAtCommit.includes(f.firstLeader));
  assert.ok(row(story, 1, f.firstLeader).commitIndex >= f.bostonIndex, 'the leader committed boston');
  assert.ok(row(story, 1, laggard).lastIndex < f.bostonIndex, `${laggard} never received it`);

  // 3. A new leader with a higher term; alice's write to the old one failed cleanly, and it stayed uncommitted there.
  assert.notEqual(f.secondLeader, f.firstLeader);
  assert.ok(f.secondTerm > f.firstTerm, `term rose from ${f.firstTerm} to ${f.secondTerm}`);
  assert.equal(f.aliceEntryTerm, f.firstTerm);
  assert.ok(['leader-changed', 'not-leader'].includes(f.aliceError.code), f.aliceError.message);
  const oldLeader = row(story, 2, f.firstLeader);
  assert.equal(oldLeader.note, 'isolated');
  assert.ok(oldLeader.lastIndex >= f.aliceIndex && oldLeader.commitIndex < f.aliceIndex, 'alice\'s entry is on the old leader, uncommitted');
  assert.equal(row(story, 2, f.secondLeader).role, 'leader');

  // 4. Heal: the old leader follows the new term, and its uncommitted entry was replaced.
  assert.equal(f.oldLeaderRoleAfterHeal, 'follower');
  assert.equal(f.termAtAliceIndexAfterHeal, f.secondTerm, `entry ${f.aliceIndex} now comes from term ${f.secondTerm}`);
  assert.equal(f.oldLeaderLondonAfterHeal, null, 'alice\'s london=7 is gone');
  const healed = story.steps[3]!.table;
  assert.ok(healed.every((r) => r.term === f.secondTerm && r.commitIndex === healed[0]!.commitIndex && r.appliedIndex === r.commitIndex));
  assert.ok(healed.every((r) => !r.widgets.includes('london')));

  // 5-7. A follower down, back from its disk with what it held, then caught up.
  assert.equal(row(story, 4, f.restarted).role, 'down');
  assert.deepEqual(f.afterRestart, f.beforeCrash, 'the restarted follower recovered its term and log from disk');
  assert.ok(row(story, 5, f.restarted).lastIndex < row(story, 5, f.secondLeader).lastIndex, 'it missed the write made while it was down');
  assert.equal(f.restartedPuneAfterCatchUp, '3');
  const caughtUp = story.steps[6]!.table;
  assert.ok(caughtUp.every((r) => r.widgets === caughtUp[0]!.widgets && r.appliedIndex === r.lastIndex));
}

test(`trellis demo raft (seed ${defaultDemoSeed}) prints a story whose every fact holds, byte for byte as computed`, async () => {
  const story = await runRaftDemo();
  assertStoryHolds(story);
  const run = spawnSync(process.execPath, [trellis, 'demo', 'raft'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, formatRaftDemo(story).join('\n') + '\n', 'one seed, one story: another process printed the same');
  assert.match(run.stdout, /node\s+role\s+term\s+last index\s+commit index\s+applied index/);
  assert.match(run.stdout, /leader changed|not leader/);
  assert.match(run.stdout, /Safety monitor: no violation/);
});

test('the story holds for other seeds too: it is computed from the nodes, not scripted', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const story = await runRaftDemo(seed);
    try {
      assertStoryHolds(story);
    } catch (error) {
      assert.fail(`seed ${seed}: ${error instanceof Error ? error.message : String(error)}\n${formatRaftDemo(story).join('\n')}`);
    }
  }
});

test('trellis --help lists bench, demo and sim, and trellis demo --help lists both demos', () => {
  const help = spawnSync(process.execPath, [trellis, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const command of ['bench', 'demo', 'sim']) assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), command);
  const demos = spawnSync(process.execPath, [trellis, 'demo', '--help'], { encoding: 'utf8' });
  assert.equal(demos.status, 0, demos.stderr);
  assert.match(demos.stdout, /^\s+log\b/m);
  assert.match(demos.stdout, /^\s+raft\b/m);
});
