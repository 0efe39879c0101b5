// What the run says while it works, on stderr so that stdout keeps only the
// final table: a line per step, and on a terminal one live line for the
// workload being measured (elsewhere, such as CI logs, a line every 5 s).

/** Where progress goes: stderr, or anything that takes text (a test's collector). */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export class BenchProgress {
  private readonly interactive: boolean;
  private liveShown = false;
  private lastPlainLiveMs = 0;

  constructor(private readonly stream: ProgressSink = process.stderr) {
    this.interactive = stream.isTTY === true;
  }

  line(text: string): void {
    this.clearLive();
    this.stream.write(`${text}\n`);
  }

  live(text: string, nowMs: number): void {
    if (this.interactive) {
      this.stream.write(`\r\x1b[2K${text}`);
      this.liveShown = true;
      return;
    }
    if (nowMs - this.lastPlainLiveMs >= 5_000) {
      this.lastPlainLiveMs = nowMs;
      this.stream.write(`${text}\n`);
    }
  }

  private clearLive(): void {
    if (this.liveShown) {
      this.stream.write('\r\x1b[2K');
      this.liveShown = false;
    }
  }
}
