// How many entries per CPU-second the pure core replicates and commits, with
// three in-process cores, no disk and no wire: the core's own cost only.
// Run: node <build>/test/consensus/bench-core.js [entries] [batch] [bytes]

import { nodeId, type NodeId } from '../../src/ids.js';
import { RaftCore } from '../../src/consensus/raft-core.js';
import type { RaftMessage } from '../../src/consensus/messages.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { logIndex, term } from '../../src/ids.js';
import { snapshotDataOf } from '../../src/consensus/snapshot-data.js';

const totalEntries = Number(process.argv[2] ?? 200_000);
const batch = Number(process.argv[3] ?? 64);
const entryBytes = Number(process.argv[4] ?? 128);
const ids = [nodeId('jupiter'), nodeId('saturn'), nodeId('neptune')];
const config = { voters: ids, outgoingVoters: [], learners: [] };
const cores = new Map<NodeId, RaftCore>(ids.map((id, i) => [id, new RaftCore({ id, random: new SeededRandom(i + 1) },
  { hardState: { term: term(0), vote: null, commit: logIndex(0) }, snapshot: null, entries: [] }, config)]));
const queue: { from: NodeId; to: NodeId; message: RaftMessage }[] = [];
let applied = 0;

function drain(id: NodeId): void {
  const core = cores.get(id)!;
  while (core.hasReady()) {
    const ready = core.takeReady();
    for (const out of ready.messages) queue.push({ from: id, to: out.to, message: out.message });
    for (const out of ready.messagesAfterPersist) queue.push({ from: id, to: out.to, message: out.message });
    applied += ready.committed.length;
    core.advance(ready);
  }
}

function settle(): void {
  for (const id of ids) drain(id);
  while (queue.length > 0) {
    const { from, to, message } = queue.shift()!;
    cores.get(to)!.step(from, message);
    drain(to);
  }
}

const leader = cores.get(ids[0]!)!;
while (leader.status().role !== 'leader') {
  leader.tick();
  settle();
}
// Snapshot occasionally so the in-memory log stays bounded, as a real node would.
const payload = new Uint8Array(entryBytes);
const cpuStart = process.cpuUsage();
const wallStart = process.hrtime.bigint();
const appliedStart = applied;
for (let proposed = 0; proposed < totalEntries; proposed += batch) {
  for (let i = 0; i < batch; i++) leader.propose(payload);
  settle();
  if (proposed % 50_000 < batch) {
    for (const core of cores.values()) core.snapshotTaken(core.status().appliedIndex, snapshotDataOf(new Uint8Array(0)));
  }
}
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const wallSeconds = Number(process.hrtime.bigint() - wallStart) / 1e9;
const committedEntries = (applied - appliedStart) / ids.length;
console.log(JSON.stringify({
  entries: committedEntries, batch, entryBytes,
  cpuSeconds: Number(cpuSeconds.toFixed(3)), wallSeconds: Number(wallSeconds.toFixed(3)),
  entriesPerCpuSecond: Math.round(committedEntries / cpuSeconds),
}));
