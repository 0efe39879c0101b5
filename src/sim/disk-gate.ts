// Where a simulated disk's completions pass on their way back to the node.
// Two faults live here rather than in SimDisk, because they are about the
// machine, not the file system: a crash (completions of a dead incarnation
// must never reach the next one) and a stall (an fsync that hangs for
// seconds, as a saturated or failing device does: everything waits, then
// completes in order).

import { InvariantViolation } from '../assert.js';
import type { SimDriver } from './driver.js';
import type { SimNode } from './sim-node.js';

export const defaultMaxHeldDiskCompletions = 100_000;

export class DiskGate {
  private held: Array<() => void> | null = null;

  constructor(
    private readonly driver: SimDriver,
    private readonly maxHeldCompletions = defaultMaxHeldDiskCompletions,
  ) {}

  isStalled(): boolean {
    return this.held !== null;
  }

  heldCount(): number {
    return this.held?.length ?? 0;
  }

  stall(): void {
    this.held ??= [];
  }

  /** Ends a stall: what was held completes now, in the order it came due. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const complete of held) this.driver.after(0, complete);
  }

  /**
   * The scheduler handed to the node's SimDisk. A completion belongs to the
   * incarnation that started the operation: dropped after its crash, held
   * while the node is paused. With no process running (a checker reading a
   * crashed node's disk) nothing is guarded.
   */
  scheduler(node: () => SimNode): (delayMs: number, run: () => void) => void {
    return (delayMs, run) => {
      const machine = node();
      const incarnation = machine.incarnation;
      const complete = machine.status === 'crashed' ? run : (): void => void machine.runGuarded(incarnation, run);
      this.driver.after(delayMs, () => this.pass(complete));
    };
  }

  private pass(complete: () => void): void {
    if (this.held === null) return complete();
    if (this.held.length >= this.maxHeldCompletions) {
      throw new InvariantViolation(`a stalled disk holds ${this.maxHeldCompletions} completions: unstall it`);
    }
    this.held.push(complete);
  }
}
