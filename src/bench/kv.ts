// What the key-value state machine costs on this machine: the memory a
// million keys hold, how long a snapshot of them takes to write and to
// restore, and how many committed entries per second applyCommand gets
// through when nothing else (Raft, disk, network) is in the way.
//
// Memory is measured in a fresh child process started with --expose-gc, so
// the figure is the store's and the runtime's, not whatever the CLI or an
// earlier phase left behind, and heap figures are taken after a full GC.

import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { encodeKvCommand } from '../kv/kv-command.js';
import { hashKv } from '../kv/kv-hash.js';
import { KvStateMachine } from '../kv/kv-state-machine.js';

export interface KvBenchOptions {
  /** Distinct keys written, one put each. Default 1,000,000. */
  readonly keys: number;
  /** Bytes per value. Default 256. */
  readonly valueBytes: number;
  /** Puts that overwrite existing keys, after the load (history grows by one entry each). Default 200,000. */
  readonly updates: number;
  readonly out: (line: string) => void;
}

export interface KvBenchFigures {
  readonly keys: number;
  readonly valueBytes: number;
  readonly keyBytes: number;
  readonly baselineRssBytes: number;
  readonly baselineHeapBytes: number;
  /** After loading every key and a full GC. */
  readonly loadedRssBytes: number;
  readonly loadedHeapBytes: number;
  readonly loadedExternalBytes: number;
  readonly insert: Timing;
  readonly updates: number;
  readonly update: Timing;
  readonly snapshotFreezeMs: number;
  readonly snapshotSerialise: Timing;
  readonly snapshotBytes: number;
  readonly restore: Timing;
  /** Heap after GC holding only the restored store (the snapshot bytes and the original are garbage by then). */
  readonly restoredHeapBytes: number;
  /** The process's peak RSS over the whole run, snapshot and restore included. */
  readonly peakRssBytes: number;
  readonly restoredHashMatches: boolean;
}

/** Wall time, and the CPU time the process spent (GC threads included): on a shared machine the two tell contention apart. */
export interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

class Stopwatch {
  wallMs = 0;
  cpuMs = 0;
  private wallStart = 0;
  private cpuStart: NodeJS.CpuUsage | undefined;

  start(): void {
    this.wallStart = performance.now();
    this.cpuStart = process.cpuUsage();
  }

  stop(): Timing {
    this.wallMs += performance.now() - this.wallStart;
    const cpu = process.cpuUsage(this.cpuStart);
    this.cpuMs += (cpu.user + cpu.system) / 1000;
    return { wallMs: this.wallMs, cpuMs: this.cpuMs };
  }
}

const MiB = 1024 * 1024;
/** Commands are encoded this many at a time, outside the timed region, so the encoded batch never dominates memory. */
const encodeBatch = 10_000;
const childMarker = '--trellis-kv-bench-child';

/** Runs the measurement in a child process (for --expose-gc) and prints the figures. */
export async function runKvBench(options: KvBenchOptions): Promise<KvBenchFigures> {
  const figures = await new Promise<KvBenchFigures>((resolvePromise, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [childMarker, JSON.stringify({ keys: options.keys, valueBytes: options.valueBytes, updates: options.updates })], {
      execArgv: ['--expose-gc', '--max-old-space-size=4096'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: KvBenchFigures | undefined;
    child.on('message', (message) => (result = message as KvBenchFigures));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result !== undefined) resolvePromise(result);
      else reject(new Error(`the kv bench child process ended without figures (exit code ${code}, signal ${signal})`));
    });
  });
  print(figures, options.out);
  return figures;
}

function print(f: KvBenchFigures, out: (line: string) => void): void {
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
  out(`kv state machine: ${f.keys} keys of ~${f.keyBytes} bytes with ${f.valueBytes}-byte values, applied through applyCommand`);
  out(`memory after GC      RSS ${mib(f.loadedRssBytes)} (empty process ${mib(f.baselineRssBytes)}), heap ${mib(f.loadedHeapBytes)} (+${mib(f.loadedHeapBytes - f.baselineHeapBytes)}), external ${mib(f.loadedExternalBytes)}; target RSS < 1024 MiB: ${f.loadedRssBytes < 1024 * MiB ? 'met' : 'MISSED'}`);
  out(`per key              ${((f.loadedHeapBytes - f.baselineHeapBytes) / f.keys).toFixed(0)} heap bytes for ${f.keyBytes + f.valueBytes} bytes of key and value`);
  const rate = (count: number, t: Timing) => `${(count / (t.wallMs / 1000)).toFixed(0)} entries/s (${(count / (t.cpuMs / 1000)).toFixed(0)} per CPU-second)`;
  const time = (t: Timing) => `${t.wallMs.toFixed(0)} ms (${t.cpuMs.toFixed(0)} ms CPU)`;
  out(`apply, new keys      ${rate(f.keys, f.insert)}`);
  out(`apply, overwrites    ${rate(f.updates, f.update)}, ${f.updates} puts to existing keys in random order`);
  out(`snapshot take        ${f.snapshotFreezeMs.toFixed(2)} ms to freeze (writes may go on), ${time(f.snapshotSerialise)} to serialise ${mib(f.snapshotBytes)}, chunks streamed and dropped`);
  out(`snapshot restore     ${time(f.restore)} (checksum, decode, rebuild the index); hash after restore ${f.restoredHashMatches ? 'matches' : 'DIFFERS'}`);
  out(`restored store       heap ${mib(f.restoredHeapBytes)} after GC, holding the restored copy alone (${f.keys} keys plus the ${f.updates} overwrites' history)`);
  out(`peak RSS             ${mib(f.peakRssBytes)} (snapshot bytes and the restored copy included)`);
}

function key(n: number): Uint8Array {
  return Buffer.from(`/widgets/${['boston', 'philadelphia', 'london', 'pune'][n % 4]}/${String(n).padStart(8, '0')}`, 'latin1');
}

function value(n: number, version: number, valueBytes: number): Uint8Array {
  const bytes = Buffer.alloc(valueBytes, 0x61 + (n % 26));
  bytes.write(`${n}:${version}:`, 0, 'latin1');
  return bytes;
}

/** Applies puts for keys [from, to) at `version`, encoding in batches outside the clock; returns the time spent applying. */
function applyPuts(machine: KvStateMachine, from: number, to: number, version: number, valueBytes: number, nextIndex: { value: number }, keyOf: (n: number) => number): Timing {
  const watch = new Stopwatch();
  for (let start = from; start < to; start += encodeBatch) {
    const end = Math.min(to, start + encodeBatch);
    const encoded: Uint8Array[] = [];
    for (let n = start; n < end; n++) {
      const k = keyOf(n);
      encoded.push(encodeKvCommand({ type: 'put', request: { key: key(k), value: value(k, version, valueBytes) } }));
    }
    watch.start();
    for (const bytes of encoded) {
      const result = machine.applyCommand(bytes, nextIndex.value++);
      if (!result.ok) throw new Error(`put failed: ${result.error.message}`);
    }
    watch.stop();
  }
  return { wallMs: watch.wallMs, cpuMs: watch.cpuMs };
}

interface Loaded {
  readonly insert: Timing;
  readonly loaded: NodeJS.MemoryUsage;
  readonly update: Timing;
  readonly snapshotFreezeMs: number;
  readonly snapshotSerialise: Timing;
  readonly bytes: Uint8Array;
  readonly hash: number;
}

/** Loads, overwrites and snapshots a store; the store is garbage once this returns, as a follower's old state is after a restore. */
function loadAndSnapshot(options: Omit<KvBenchOptions, 'out'>, settle: () => void): Loaded {
  const machine = new KvStateMachine();
  const nextIndex = { value: 1 };
  const insert = applyPuts(machine, 0, options.keys, 1, options.valueBytes, nextIndex, (n) => n);
  settle();
  const loaded = process.memoryUsage();

  // Overwrites spread over the key space, in a fixed pseudo-random order.
  const stride = 7_919;
  const update = applyPuts(machine, 0, options.updates, 2, options.valueBytes, nextIndex, (n) => (n * stride) % options.keys);

  const began = performance.now();
  const snapshot = machine.snapshot(new Uint8Array(0));
  const snapshotFreezeMs = performance.now() - began;
  const watch = new Stopwatch();
  watch.start();
  // A node streams each chunk to its disk or a follower and lets it go. Holding
  // all of them (as toBytes does) makes V8 run full collections of the whole
  // heap as external memory grows, which would be the bench's cost, not the store's.
  let snapshotBytes = 0;
  for (const chunk of snapshot.chunks()) snapshotBytes += chunk.length;
  const snapshotSerialise = watch.stop();
  const bytes = snapshot.toBytes();
  assert.equal(bytes.length, snapshotBytes, 'a second serialisation of one frozen snapshot gives the same bytes');
  return { insert, loaded, update, snapshotFreezeMs, snapshotSerialise, bytes, hash: hashKv(machine.store, 0).hash };
}

function measure(options: Omit<KvBenchOptions, 'out'>): KvBenchFigures {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the kv bench measures memory after GC: run it with node --expose-gc');
  const settle = () => {
    gc();
    gc();
  };
  settle();
  const baseline = process.memoryUsage();
  const run = loadAndSnapshot(options, settle);
  settle();
  const restored = new KvStateMachine();
  const watch = new Stopwatch();
  watch.start();
  restored.restore(run.bytes);
  const restore = watch.stop();
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  settle();
  const restoredHeapBytes = process.memoryUsage().heapUsed;
  // Read after measuring, so the restored store was live when measured.
  const restoredHashMatches = hashKv(restored.store, 0).hash === run.hash && restored.store.keyCount === options.keys;
  return {
    keys: options.keys,
    valueBytes: options.valueBytes,
    keyBytes: key(options.keys - 1).length,
    baselineRssBytes: baseline.rss,
    baselineHeapBytes: baseline.heapUsed,
    loadedRssBytes: run.loaded.rss,
    loadedHeapBytes: run.loaded.heapUsed,
    loadedExternalBytes: run.loaded.external,
    insert: run.insert,
    updates: options.updates,
    update: run.update,
    snapshotFreezeMs: run.snapshotFreezeMs,
    snapshotSerialise: run.snapshotSerialise,
    snapshotBytes: run.bytes.length,
    restore,
    restoredHeapBytes,
    peakRssBytes,
    restoredHashMatches,
  };
}

if (process.argv[2] === childMarker && process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const figures = measure(JSON.parse(process.argv[3]!) as Omit<KvBenchOptions, 'out'>);
  process.send!(figures, () => process.exit(0));
}
