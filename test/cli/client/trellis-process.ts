// The trellis command as a real process, for tests that run the server in
// their own process (so the child must be awaited, never run synchronously).

import { spawn, type ChildProcess } from 'node:child_process';
import { trellisMain } from './session.js';

export interface Finished {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<Finished>;
  /** Resolves with stdout so far once it matches pattern. */
  output(pattern: RegExp): Promise<string>;
}

/** A generous bound on any one command: a hung command fails its test instead of the whole run. */
const processLimitMs = 60_000;

export function startTrellis(args: readonly string[], options: { stdin?: string; keepStdinOpen?: boolean } = {}): Running {
  const child = spawn(process.execPath, [trellisMain, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (text: string) => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(stdout)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(stdout);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.on('error', () => {});
  if (options.stdin !== undefined) child.stdin!.write(options.stdin);
  if (options.keepStdinOpen !== true) child.stdin!.end();
  const limit = setTimeout(() => child.kill('SIGKILL'), processLimitMs);
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(limit);
      resolve({ stdout, stderr, status, signal });
    });
  });
  return {
    child,
    done,
    output: (pattern) =>
      new Promise<string>((resolve, reject) => {
        if (pattern.test(stdout)) return resolve(stdout);
        waiters.push({ pattern, resolve });
        void done.then(() => reject(new Error(`trellis ${args.join(' ')} ended before printing ${pattern}:\n${stdout}\n${stderr}`)));
      }),
  };
}

export function trellis(args: readonly string[], stdin?: string): Promise<Finished> {
  return startTrellis(args, { stdin }).done;
}
