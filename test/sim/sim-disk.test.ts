import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDisk } from '../../src/sim/sim-disk.js';
import { DiskError } from '../../src/runtime/disk.js';
import { SeededRandom } from '../../src/runtime/random.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof DiskError && error.code === code);
}

test('boston\'s count survives a crash only once it was datasynced and its directory entry synced', async () => {
  const disk = new SimDisk({ random: new SeededRandom(1) });
  await disk.makeDirectory('jupiter/data');
  const file = await disk.open('jupiter/data/boston', { create: true });
  await file.append(text('boston=10'));
  await file.datasync();
  await disk.syncDirectory('jupiter/data');
  await file.append(text(';boston=11'));
  assert.equal(decode(await file.read(0, 100)), 'boston=10;boston=11', 'readers see the page cache');

  // Seed 1 may or may not keep the unsynced append; whatever it keeps is a prefix of it.
  disk.crash();
  const survived = decode(disk.durableFiles().get('jupiter/data/boston'))!;
  assert.ok(survived.startsWith('boston=10'), `synced data lost: ${survived}`);
  assert.ok('boston=10;boston=11'.startsWith(survived), `survivor is not a prefix: ${survived}`);
  await rejectsWith(file.read(0, 10), 'EBADF');

  const reopened = await disk.open('jupiter/data/boston', { create: false });
  assert.equal(decode(await reopened.read(0, 100)), survived, 'after the crash the cache holds the durable image');
});

test('across many crashes, unsynced writes survive as a prefix whose last write may be torn, and some crashes tear', async () => {
  let tornSeen = 0;
  let allLostSeen = 0;
  for (let seed = 0; seed < 200; seed++) {
    const disk = new SimDisk({ random: new SeededRandom(seed) });
    const file = await disk.open('london', { create: true });
    await disk.syncDirectory('');
    const writes = ['aaaa', 'bbbb', 'cccc'];
    for (const w of writes) await file.append(text(w));
    disk.crash();
    const survived = decode(disk.durableFiles().get('london'))!;
    assert.ok('aaaabbbbcccc'.startsWith(survived), `seed ${seed}: ${survived}`);
    if (survived.length % 4 !== 0) tornSeen++;
    if (survived.length === 0) allLostSeen++;
  }
  assert.ok(tornSeen > 0, 'no crash ever tore a write');
  assert.ok(allLostSeen > 0, 'no crash ever lost every unsynced write');
});

test('a created file whose directory was never synced can vanish in a crash, and a synced one cannot', async () => {
  let vanished = 0;
  for (let seed = 0; seed < 50; seed++) {
    const disk = new SimDisk({ random: new SeededRandom(seed) });
    await disk.makeDirectory('neptune');
    const kept = await disk.open('neptune/pune', { create: true });
    await kept.append(text('pune=3'));
    await kept.datasync();
    await disk.syncDirectory('neptune');
    const fresh = await disk.open('neptune/london', { create: true });
    await fresh.append(text('london=4'));
    await fresh.datasync();
    disk.crash();
    assert.equal(decode(disk.durableFiles().get('neptune/pune')), 'pune=3');
    const names = await disk.list('neptune');
    if (!names.includes('london')) vanished++;
    else assert.equal(decode(disk.durableFiles().get('neptune/london')), 'london=4');
  }
  assert.ok(vanished > 0 && vanished < 50, `london vanished in ${vanished} of 50 crashes`);
});

test('renames and removes not followed by syncDirectory are lost as a suffix: the old name or the new, never neither', async () => {
  const outcomes = new Set<string>();
  for (let seed = 0; seed < 60; seed++) {
    const disk = new SimDisk({ random: new SeededRandom(seed) });
    const old = await disk.open('state', { create: true });
    await old.append(text('old'));
    await old.datasync();
    const temp = await disk.open('state.tmp', { create: true });
    await temp.append(text('new'));
    await temp.datasync();
    await disk.syncDirectory('');
    await disk.rename('state.tmp', 'state');
    disk.crash();
    const files = disk.durableFiles();
    const state = decode(files.get('state'));
    assert.ok(state === 'old' || state === 'new', `seed ${seed}: state is ${state}`);
    if (state === 'old') assert.equal(decode(files.get('state.tmp')), 'new');
    else assert.equal(files.has('state.tmp'), false);
    outcomes.add(state);
  }
  assert.deepEqual([...outcomes].sort(), ['new', 'old']);
});

test('list and exists behave like a file system', async () => {
  const disk = new SimDisk({ random: new SeededRandom(2) });
  await rejectsWith(disk.list('data'), 'ENOENT');
  await rejectsWith(disk.open('data/wal/1.seg', { create: true }), 'ENOENT');
  await disk.makeDirectory('data/wal');
  await (await disk.open('data/wal/2.seg', { create: true })).close();
  await (await disk.open('data/wal/1.seg', { create: true })).close();
  assert.deepEqual(await disk.list('data'), ['wal']);
  assert.deepEqual(await disk.list('data/wal/'), ['1.seg', '2.seg']);
  assert.equal(await disk.exists('data/wal'), true);
  assert.equal(await disk.exists('data/wal/3.seg'), false);
  await rejectsWith(disk.open('data/wal/3.seg', { create: false }), 'ENOENT');
  await rejectsWith(disk.open('data/wal', { create: true }), 'EISDIR');
  await disk.remove('data/wal/1.seg');
  await rejectsWith(disk.remove('data/wal/1.seg'), 'ENOENT');
  assert.deepEqual(await disk.list('data/wal'), ['2.seg']);
});

test('writes past the end fill with zeros, truncate shrinks, and a truncate-then-grow reads zeros', async () => {
  const disk = new SimDisk({ random: new SeededRandom(3) });
  const file = await disk.open('philadelphia', { create: true });
  await file.write(4, text('xy'));
  assert.deepEqual([...(await file.read(0, 10))], [0, 0, 0, 0, 120, 121]);
  await file.truncate(5);
  await file.truncate(7);
  assert.deepEqual([...(await file.read(0, 10))], [0, 0, 0, 0, 120, 0, 0]);
  assert.equal(await file.sizeBytes(), 7);
});

test('an injected datasync error rejects and the unsynced pages never reach the platter (fsyncgate)', async () => {
  const traced: string[] = [];
  const disk = new SimDisk({ random: new SeededRandom(4), trace: (line) => traced.push(line) });
  const file = await disk.open('pune', { create: true });
  await disk.syncDirectory('');
  await file.append(text('pune=1'));
  disk.injectFault({ kind: 'datasync-error', count: 1 });
  await rejectsWith(file.datasync(), 'EIO');
  await file.datasync();
  assert.equal(disk.stats.datasyncs, 1, 'only the successful datasync counts');
  assert.equal(decode(await file.read(0, 10)), 'pune=1', 'the cache still shows the data');
  disk.crash();
  assert.equal(decode(disk.durableFiles().get('pune')), '', 'yet it was never made durable');
  assert.ok(traced.some((line) => line.includes('datasync-error')));
});

test('read and write faults honour their path prefix and count', async () => {
  const disk = new SimDisk({ random: new SeededRandom(5) });
  await disk.makeDirectory('a');
  await disk.makeDirectory('b');
  const a = await disk.open('a/f', { create: true });
  const b = await disk.open('b/f', { create: true });
  disk.injectFault({ kind: 'write-error', pathPrefix: 'a/', count: 2 });
  disk.injectFault({ kind: 'read-error', pathPrefix: 'b/' });
  await rejectsWith(a.append(text('1')), 'EIO');
  await rejectsWith(a.append(text('2')), 'EIO');
  await a.append(text('3'));
  await b.append(text('4'));
  await rejectsWith(b.read(0, 1), 'EIO');
  assert.equal(decode(await a.read(0, 10)), '3');
  disk.clearFaults();
  assert.equal(decode(await b.read(0, 10)), '4');
});

test('a full disk refuses writes that would grow past its capacity with ENOSPC', async () => {
  const disk = new SimDisk({ random: new SeededRandom(6), capacityBytes: 10 });
  const file = await disk.open('boston', { create: true });
  await file.append(new Uint8Array(8));
  assert.equal(await disk.freeSpaceBytes(''), 2);
  await rejectsWith(file.append(new Uint8Array(3)), 'ENOSPC');
  await file.write(0, new Uint8Array(8).fill(1));
  disk.setCapacityBytes(undefined);
  await file.append(new Uint8Array(3));
  assert.equal(await file.sizeBytes(), 11);
});

test('with a scheduler, operations complete after their latency and a crash leaves pending ones unanswered', async () => {
  const queue: { atMs: number; run: () => void }[] = [];
  let nowMs = 0;
  const disk = new SimDisk({
    random: new SeededRandom(7),
    schedule: (delayMs, run) => queue.push({ atMs: nowMs + delayMs, run }),
    operationLatencyMs: 0.5,
    datasyncLatencyMs: 2,
  });
  const runUntil = (untilMs: number): void => {
    queue.sort((x, y) => x.atMs - y.atMs);
    while (queue.length > 0 && queue[0]!.atMs <= untilMs) {
      const next = queue.shift()!;
      nowMs = next.atMs;
      next.run();
    }
    nowMs = untilMs;
  };
  const opening = disk.open('saturn', { create: true });
  runUntil(0.5);
  const file = await opening;
  let synced = false;
  let appended = false;
  void file.append(text('x')).then(() => (appended = true));
  runUntil(0.5);
  await Promise.resolve();
  assert.equal(appended, false, 'not complete before its latency');
  runUntil(1);
  await Promise.resolve();
  assert.equal(appended, true);
  void file.datasync().then(() => (synced = true));
  runUntil(2.5);
  disk.crash();
  runUntil(10);
  await Promise.resolve();
  assert.equal(synced, false, 'a datasync interrupted by a crash never answers');
});

test('flipBit corrupts both the cache and the durable image', async () => {
  const disk = new SimDisk({ random: new SeededRandom(8) });
  const file = await disk.open('boston', { create: true });
  await file.append(text('a'));
  await file.datasync();
  await disk.syncDirectory('');
  disk.flipBit('boston', 0, 1);
  assert.equal(decode(await file.read(0, 1)), 'c');
  assert.equal(decode(disk.durableFiles().get('boston')), 'c');
});

test('a dead process\'s late operations never reach the disk its successor uses', async () => {
  const disk = new SimDisk({ random: new SeededRandom(9) });
  const jupiterBefore = disk.forProcess();
  const file = await jupiterBefore.open('boston', { create: true });
  await file.append(text('boston=1'));
  await file.datasync();
  await jupiterBefore.syncDirectory('');
  disk.crash();
  let answered = false;
  void jupiterBefore.remove('boston').finally(() => (answered = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(answered, false, 'the dead process is never answered');
  const jupiterAfter = disk.forProcess();
  assert.deepEqual(await jupiterAfter.list(''), ['boston']);
  assert.equal(decode(disk.durableFiles().get('boston')), 'boston=1');
});
