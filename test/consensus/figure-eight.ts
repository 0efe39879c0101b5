import assert from 'node:assert/strict';
import { logIndex } from '../../src/ids.js';
import { RaftNetwork, jupiter, mercury, neptune, placed, saturn, venus } from './raft-network.js';

/**
 * The Raft paper's figure 8 with the five planets: jupiter (term 2) leaves
 * london=1 on itself and saturn; venus (term 3) writes its no-op at the same
 * index on itself alone; jupiter (term 4) copies london=1 to neptune, so a
 * majority holds it; then venus returns and overwrites it. If jupiter had
 * committed london=1 in term 4 by counting, a committed entry would be lost.
 */
export function figureEight(bugs: { commitPreviousTermByCount?: boolean }): { violations: string[]; jupiterAppliedLondon: boolean } {
  const planets = [jupiter, saturn, neptune, mercury, venus];
  const world = new RaftNetwork({ nodes: planets, raft: { preVote: false, checkQuorum: false, maxEntriesPerAppend: 1, bugs } });
  world.elect(jupiter);
  world.drop((m) => m.from === jupiter && m.to !== saturn);
  const london = placed(world.propose(jupiter, 'london=1'));
  world.stabilize();
  world.crash(jupiter);
  world.heal();
  // (b) venus wins term 3 with neptune and mercury, but its no-op reaches no one.
  world.drop((m) => m.from === venus && m.message.type === 'append');
  world.cut(venus, saturn);
  world.elect(venus);
  assert.equal(world.node(venus).status().term, 3);
  world.crash(venus);
  world.heal();
  // (c) jupiter returns and wins term 4; it copies london=1 to neptune but none of its term-4 entries or commit updates get out.
  world.restart(jupiter);
  world.cut(jupiter, mercury);
  world.rewrite((m) => {
    if (m.from !== jupiter || m.message.type !== 'append') return m.message;
    return { ...m.message, entries: m.message.entries.filter((e) => e.term !== 4), commit: logIndex(0) };
  });
  for (let i = 0; i < 10 && world.node(jupiter).status().role !== 'leader'; i++) world.campaign(jupiter);
  assert.equal(world.node(jupiter).status().term, 4);
  world.stabilize();
  assert.equal(world.node(neptune).disk.entries.find((e) => e.index === london.index)?.term, 2, 'jupiter, saturn and neptune hold london=1');
  const jupiterAppliedLondon = world.node(jupiter).values().includes('london=1');
  // (d) jupiter crashes; venus returns and wins term 5 with everyone else's votes, overwriting index london.index.
  world.crash(jupiter);
  world.heal();
  world.restart(venus);
  for (let i = 0; i < 10 && world.node(venus).status().role !== 'leader'; i++) world.campaign(venus);
  world.heartbeat(3);
  for (const id of [saturn, neptune, mercury]) assert.equal(world.node(id).values().includes('london=1'), false);
  return { violations: world.stateMachineSafetyViolations, jupiterAppliedLondon };
}
