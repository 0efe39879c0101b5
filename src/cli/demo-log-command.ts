// `trellis demo log`: the Write-Ahead Log, Segmented Log and Low-Water Mark
// patterns at work on a real directory, narrated step by step: appends that
// roll segments, a crash that tears the last record, a conflicting suffix cut
// off, the low-water mark removing old segments, and a flipped bit refused.
import { appendFile, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { WriteAheadLog } from '../log/write-ahead-log.js';
import { NodeDisk } from '../runtime/node/node-disk.js';
import { registerRaftDemo } from './demo-raft-command.js';

const cities = ['boston', 'philadelphia', 'london', 'pune'];

export function registerDemoCommand(program: Command): void {
  const demo = program.command('demo').description('watch a pattern work (and fail) on this machine');
  demo
    .command('log')
    .description('Write-Ahead Log, Segmented Log and Low-Water Mark, step by step, in a temporary directory')
    .option('--keep', 'keep the directory afterwards')
    .action(async (options: { keep?: boolean }) => runLogDemo(options.keep === true));
  registerRaftDemo(demo);
}

async function runLogDemo(keep: boolean): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'trellis-demo-log-'));
  const disk = new NodeDisk({ root });
  const directory = 'wal';
  const say = (line: string) => console.log(line);
  const listSegments = async () => {
    const names = (await readdir(join(root, directory))).sort();
    const sizes = await Promise.all(names.map(async (name) => (await stat(join(root, directory, name))).size));
    return names.map((name, i) => `${name} (${sizes[i]} bytes)`).join(', ');
  };
  const record = (i: number) => ({ type: 1, data: new TextEncoder().encode(`${cities[i % 4]}=${i * 10}`) });

  say(`Write-Ahead Log in ${join(root, directory)}, segments of 512 bytes so they roll quickly.`);
  let wal = await WriteAheadLog.open(disk, directory, { segmentSizeBytes: 512 });
  const acknowledged = await Promise.all(Array.from({ length: 40 }, (_, i) => wal.append([record(i)])));
  say(`1. 40 concurrent appends acknowledged (indices 1..${Math.max(...acknowledged)}) after ${wal.batchesWritten} fdatasync batch(es): group commit.`);
  say(`   Segments: ${await listSegments()}`);
  await wal.close();

  const segmentNames = (await readdir(join(root, directory))).sort();
  const last = join(root, directory, segmentNames[segmentNames.length - 1]!);
  await appendFile(last, Buffer.from([0, 0, 0, 40, 1, 2, 3]));
  say('2. A crash tore a record half-way: 7 bytes of a 40-byte record at the end of the last segment.');
  wal = await WriteAheadLog.open(disk, directory, { segmentSizeBytes: 512 });
  const torn = wal.recovery.tornTail;
  say(`   On open, recovery cut the torn tail: ${torn === undefined ? 'none found' : `${torn.file} at byte ${torn.offsetBytes}, ${torn.droppedBytes} bytes dropped (${torn.reason})`}; last index is ${wal.lastIndex}.`);

  await wal.truncateAfter(30);
  await wal.append([{ type: 1, data: new TextEncoder().encode('boston=999 (a new leader\'s entry)') }]);
  say(`3. Raft found a conflicting suffix: truncateAfter(30), then a new record 31. Last index ${wal.lastIndex}.`);
  const [rewritten] = await wal.read(31, 1, 1024);
  say(`   Record 31 now reads "${new TextDecoder().decode(rewritten!.data)}".`);

  const removed = await wal.releaseBefore(25);
  say(`4. A snapshot covers everything below 25: the low-water mark removed ${removed} whole segment(s). First index now ${wal.firstIndex}.`);
  say(`   Segments: ${await listSegments()}`);
  await wal.close();

  const victim = join(root, directory, (await readdir(join(root, directory))).sort()[0]!);
  const handle = await open(victim, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, 40);
  byte[0] = byte[0]! ^ 0x10;
  await handle.write(byte, 0, 1, 40);
  await handle.close();
  say('5. A bit flipped inside an early record (disk corruption, not a torn write).');
  try {
    await WriteAheadLog.open(disk, directory, { segmentSizeBytes: 512 });
    say('   The log opened: THIS SHOULD NOT HAPPEN.');
    process.exitCode = 1;
  } catch (error) {
    say(`   Refused on open, nothing served: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (keep) say(`Kept ${root}.`);
  else await rm(root, { recursive: true, force: true });
}
