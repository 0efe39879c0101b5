// The load generator: a small Go program (bench/loadgen) built on first use
// from Debian's Go toolchain and etcd's Go packages, then driven here. It was
// chosen over a Node generator because it costs about half the CPU per request
// (bench/README.md has the measurement), and on two cores the
// generator's CPU is taken from the servers it measures.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcesses } from './child-processes.js';
import { cpuSecondsOf } from './proc-stat.js';

export const GO_APT_PACKAGES = 'golang-go golang-etcd-server-dev';
const DEBIAN_GOPATH = '/usr/share/gocode';
const ETCD_GO_PACKAGE = join(DEBIAN_GOPATH, 'src/go.etcd.io/etcd/etcdserver/etcdserverpb');

/** The checkout this file belongs to: the nearest folder up with trellis's package.json (dist/ and .build/<name>/ both sit inside it). */
export function projectRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (true) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'trellis') return folder;
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`cannot find the trellis checkout above ${fileURLToPath(import.meta.url)}`);
    folder = parent;
  }
}

/** The generator's binary for the current sources, built into .build/loadgen/ when the sources changed. */
export function ensureLoadgen(say: (line: string) => void): string {
  const root = projectRoot();
  const sourceDir = join(root, 'bench', 'loadgen');
  const sources = readdirSync(sourceDir).filter((name) => name.endsWith('.go')).sort();
  const hash = createHash('sha256');
  for (const name of sources) hash.update(name).update('\0').update(readFileSync(join(sourceDir, name))).update('\0');
  const outDir = join(root, '.build', 'loadgen');
  const binary = join(outDir, `trellis-loadgen-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;

  const go = spawnSync('go', ['version'], { encoding: 'utf8', timeout: 30_000 });
  if (go.error !== undefined || go.status !== 0) {
    throw new Error(`the load generator is a small Go program built on first use, and Go is not installed: apt-get install -y ${GO_APT_PACKAGES} (Go 1.19 and etcd's Go client v3.4)`);
  }
  if (!existsSync(ETCD_GO_PACKAGE)) {
    throw new Error(`the load generator needs etcd's Go packages under ${DEBIAN_GOPATH}: apt-get install -y golang-etcd-server-dev`);
  }
  say(`building the load generator with ${go.stdout.trim()} (once; about 20 s)`);
  mkdirSync(outDir, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  const build = spawnSync('go', ['build', '-o', partial, '.'], {
    cwd: sourceDir,
    encoding: 'utf8',
    timeout: 600_000,
    // GOPATH mode against Debian's packaged sources: nothing is downloaded.
    env: { ...process.env, GOPATH: DEBIAN_GOPATH, GO111MODULE: 'off', GOFLAGS: '', CGO_ENABLED: '0', GOCACHE: join(root, '.build', 'go-cache') },
  });
  if (build.status !== 0) throw new Error(`building the load generator failed:\n${(build.stderr || build.error?.message || '').trim()}`);
  renameSync(partial, binary);
  return binary;
}

/** One line the generator printed. */
export interface LoadgenEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface LoadgenOutcome {
  readonly events: readonly LoadgenEvent[];
  /** Server CPU-seconds (sum over `samplePids`) and the generator's own, between window-start and window-end. */
  readonly serverCpuS: number;
  readonly clientCpuS: number;
}

/**
 * Runs the generator to completion. When it announces its measured window,
 * the CPU time of the servers and of the generator itself is read from /proc
 * at the start and at the end. It is killed if it outlives `timeoutMs`.
 */
export async function runLoadgen(options: {
  readonly binary: string;
  readonly args: readonly string[];
  readonly samplePids: readonly number[];
  readonly processes: ChildProcesses;
  readonly timeoutMs: number;
  readonly goMaxProcs: number;
  readonly onEvent?: (event: LoadgenEvent) => void;
  /** Stops the generator early when it settles, with its value as the reason (a member exited). */
  readonly cancelWhen?: Promise<string>;
}): Promise<LoadgenOutcome> {
  const child = options.processes.spawn(options.binary, options.args, { stdio: 'pipe', env: { ...process.env, GOMAXPROCS: String(options.goMaxProcs) } });
  const events: LoadgenEvent[] = [];
  let stderrTail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
  });
  const cpuNow = (): { server: number; client: number } => ({
    server: options.samplePids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    client: cpuSecondsOf(child.pid!),
  });
  let atStart: { server: number; client: number } | undefined;
  let atEnd: { server: number; client: number } | undefined;
  let samplingError: Error | undefined;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    let event: LoadgenEvent;
    try {
      event = JSON.parse(line) as LoadgenEvent;
    } catch {
      stderrTail = (stderrTail + `\n(stdout) ${line}`).slice(-4096);
      return;
    }
    try {
      if (event.event === 'window-start') atStart = cpuNow();
      if (event.event === 'window-end') atEnd = cpuNow();
    } catch (error) {
      samplingError ??= error as Error;
    }
    events.push(event);
    options.onEvent?.(event);
  });
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    }),
    ...(options.cancelWhen !== undefined ? [options.cancelWhen.then((reason) => ({ cancelled: reason }))] : []),
  ]);
  clearTimeout(timer);
  if (exit === 'timeout') {
    await options.processes.stop(child, 1_000);
    throw new Error(`the load generator did not finish within ${Math.round(options.timeoutMs / 1000)} s and was stopped`);
  }
  if ('cancelled' in exit) {
    await options.processes.stop(child, 1_000);
    throw new Error(exit.cancelled);
  }
  const reported = events.find((e) => e.event === 'error');
  if (reported !== undefined) throw new Error(String(reported.message));
  if (exit.code !== 0) throw new Error(`the load generator ended with ${exit.code !== null ? `code ${exit.code}` : exit.signal}${stderrTail ? `: ${stderrTail.trim()}` : ''}`);
  if (samplingError !== undefined) throw samplingError;
  if (atStart !== undefined && atEnd === undefined) throw new Error('the load generator opened its measured window but never closed it');
  return {
    events,
    serverCpuS: atStart && atEnd ? atEnd.server - atStart.server : 0,
    clientCpuS: atStart && atEnd ? atEnd.client - atStart.client : 0,
  };
}
