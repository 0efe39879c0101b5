// A progress bar on a terminal, and a line every tenth of the way elsewhere
// (CI logs), so long runs show they are alive without flooding the output.
export class Progress {
  private lastTenth = -1;
  private readonly interactive = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly total: number) {}

  update(done: number, detail: string): void {
    if (this.interactive) {
      const width = 30;
      const filled = Math.round((done / this.total) * width);
      process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${detail}   `);
      if (done === this.total) process.stderr.write('\n');
      return;
    }
    const tenth = Math.floor((done / this.total) * 10);
    if (tenth !== this.lastTenth || done === this.total) {
      this.lastTenth = tenth;
      process.stderr.write(`${this.label} ${done}/${this.total} ${detail}\n`);
    }
  }
}
