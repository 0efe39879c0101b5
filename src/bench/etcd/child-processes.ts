// Every process the benchmark starts is tracked here, so that none outlives
// it: they are stopped in order when a cluster is done, and killed at once on
// Ctrl-C, on SIGTERM, on an error that escapes, or when Node exits.

import { spawn, type ChildProcess } from 'node:child_process';

export interface SpawnOptions {
  readonly stdio: 'pipe' | readonly ['ignore', number | 'pipe', number | 'pipe'];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export class ChildProcesses {
  private readonly live = new Set<ChildProcess>();
  private readonly cleanups: (() => void)[] = [];
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping ${this.live.size} process(es) the benchmark started and removing its data\n`);
    this.killAllNow();
    this.runCleanups();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  private readonly onExit = (): void => {
    this.killAllNow();
    this.runCleanups();
  };

  /** Listens for Ctrl-C, SIGTERM and process exit until `dispose`. */
  install(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('exit', this.onExit);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
  }

  /** A synchronous step to run if the benchmark is cut short (removing its temp dir). */
  onCutShort(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  spawn(binary: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    const child = spawn(binary, [...args], { stdio: options.stdio as never, env: options.env ?? process.env, cwd: options.cwd });
    this.live.add(child);
    child.once('exit', () => this.live.delete(child));
    child.once('error', () => this.live.delete(child));
    return child;
  }

  get count(): number {
    return this.live.size;
  }

  /** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
  async stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      this.live.delete(child);
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    if ((await Promise.race([exited, late])) === 'late') {
      child.kill('SIGKILL');
      await exited;
    }
    clearTimeout(timer);
  }

  killAllNow(): void {
    for (const child of this.live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private runCleanups(): void {
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // best effort on the way out
      }
    }
  }
}
