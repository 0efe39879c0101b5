// One member as an OS process: started from its system's command, its
// output appended to a log file, and the signals the faults need (kill -9,
// SIGSTOP, SIGCONT). Optional wrappers put it in a network namespace, under
// libfaketime (a clock offset read from a file, so it can jump at run time)
// and under libfiu (failure points switched on and off with fiu-ctrl).

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export const faketimeLibrary = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
export const fiuRunPreload = '/usr/lib/fiu/fiu_run_preload.so';
export const fiuPosixPreload = '/usr/lib/fiu/fiu_posix_preload.so';

export interface ProcessWrappers {
  /** Run inside this network namespace (ip netns exec). */
  readonly netns?: string;
  /** libfaketime reads the clock offset from this file (e.g. "+0", "+3600", "-120"). */
  readonly faketimeFile?: string;
  /** libfiu's remote-control fifo prefix; fiu-ctrl talks to <prefix>-<pid>.in. */
  readonly fiuControlPrefix?: string;
}

export interface ProcessExit {
  readonly atMs: number;
  readonly code: number | null;
  readonly signal: string | null;
  /** The harness killed it, or injected a fault it is allowed to stop on. */
  readonly expected: boolean;
}

export class MemberProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream | null = null;
  private exitWaiters: (() => void)[] = [];
  readonly exits: ProcessExit[] = [];
  private paused = false;
  private exitExpected = false;

  constructor(
    readonly name: string,
    private readonly binary: string,
    private readonly args: readonly string[],
    private readonly logPath: string,
    private readonly wrappers: ProcessWrappers,
    private readonly nowMs: () => number,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    if (this.child !== null) throw new Error(`member ${this.name} is already running (pid ${this.child.pid})`);
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    const preload: string[] = [];
    if (this.wrappers.fiuControlPrefix !== undefined) {
      // What fiu-run -x sets up, without its shell wrapper, so the pid is the member's own.
      preload.push(fiuRunPreload, fiuPosixPreload);
      env.FIU_ENABLE = '';
      env.FIU_CTRL_FIFO = this.wrappers.fiuControlPrefix;
    }
    if (this.wrappers.faketimeFile !== undefined) {
      preload.push(faketimeLibrary);
      env.FAKETIME_TIMESTAMP_FILE = this.wrappers.faketimeFile;
      // Re-read the file at most once a second, so a jump lands within a second without a read per clock call.
      env.FAKETIME_CACHE_DURATION = '1';
      // Only the wall clock moves: a monotonic clock that jumps is a broken machine, not a fault to survive.
      env.FAKETIME_DONT_FAKE_MONOTONIC = '1';
    }
    if (preload.length > 0) env.LD_PRELOAD = preload.join(' ');
    const [binary, args] = this.wrappers.netns === undefined ? [this.binary, this.args] : ['ip', ['netns', 'exec', this.wrappers.netns, this.binary, ...this.args]];
    this.log ??= createWriteStream(this.logPath, { flags: 'a' });
    this.log.write(`\n=== harness: starting ${this.name} at ${this.nowMs().toFixed(0)} ms: ${binary} ${args.join(' ')}\n`);
    const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.paused = false;
    this.exitExpected = false;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    child.once('exit', (code, signal) => {
      this.exits.push({ atMs: this.nowMs(), code, signal, expected: this.exitExpected });
      this.exitExpected = false;
      this.log?.write(`\n=== harness: ${this.name} exited at ${this.nowMs().toFixed(0)} ms (code ${code}, signal ${signal})\n`);
      if (this.child === child) this.child = null;
      this.paused = false;
      const waiters = this.exitWaiters;
      this.exitWaiters = [];
      for (const waiter of waiters) waiter();
    });
    child.once('error', (error) => this.log?.write(`\n=== harness: cannot run ${binary}: ${error.message}\n`));
  }

  /** Sends a signal if the process runs; SIGKILL also resumes nothing, the process is gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.child?.pid === undefined) return false;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      return false;
    }
    if (signal === 'SIGSTOP') this.paused = true;
    if (signal === 'SIGCONT') this.paused = false;
    return true;
  }

  /** The next exit is the harness's doing (a fault the member may stop on, a removal), not a crash. */
  expectExit(expected = true): void {
    this.exitExpected = expected;
  }

  /** kill -9, then waits for the exit so a restart cannot race the dying process for its ports. */
  async kill(): Promise<void> {
    if (this.child === null) return;
    this.exitExpected = true;
    const exited = this.waitForExit();
    if (this.paused) this.signal('SIGCONT');
    this.signal('SIGKILL');
    await exited;
  }

  waitForExit(): Promise<void> {
    if (this.child === null) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  note(line: string): void {
    this.log?.write(`\n=== harness: ${line}\n`);
  }

  async close(): Promise<void> {
    await this.kill();
    await new Promise<void>((resolve) => (this.log === null ? resolve() : this.log.end(resolve)));
    this.log = null;
  }
}
