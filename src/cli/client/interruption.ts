// Ctrl-C (or SIGTERM) for the commands that run until stopped: watch and
// lease keep-alive. They stop cleanly first (cancelling their stream, so the
// server frees the watch at once), then die of the same signal, so shells
// and scripts see what they see when etcdctl is interrupted.

export class Interruption {
  signal: NodeJS.Signals | null = null;
  private readonly handler = (signal: NodeJS.Signals): void => {
    this.signal = signal;
    this.stop();
  };

  constructor(private readonly stop: () => void) {
    process.once('SIGINT', this.handler);
    process.once('SIGTERM', this.handler);
  }

  /** After cleaning up: re-raises the signal that stopped the command, if one did. */
  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    if (this.signal !== null) process.kill(process.pid, this.signal);
  }
}
