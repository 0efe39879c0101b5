// What must not outlive the harness: member processes, mounts, namespaces.
// Each is registered with a synchronous undo that also runs if the harness
// exits abruptly (an uncaught error, Ctrl-C, a test runner's SIGTERM).

import { spawnSync } from 'node:child_process';

const undos = new Map<number, () => void>();
let nextId = 0;
let installed = false;

export function registerCleanup(undo: () => void): () => void {
  install();
  const id = nextId++;
  undos.set(id, undo);
  return () => undos.delete(id);
}

export function killPidSync(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function unmountSync(path: string): void {
  spawnSync('umount', ['-l', path]);
}

function runAll(): void {
  for (const undo of [...undos.values()].reverse()) {
    try {
      undo();
    } catch {
      // best effort: the others must still run
    }
  }
  undos.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      runAll();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}
