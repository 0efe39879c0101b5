// One connection seen as frames: it decodes what arrives, remembers when it
// last heard anything (the channel's liveness), and turns every way a
// connection can go wrong (the peer closed, a frame over the limit, a
// stranger talking without a handshake) into one "ended" report with a reason.

import type { NodeId } from '../ids.js';
import type { Clock } from '../runtime/clock.js';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameTooLarge } from './frame.js';
import type { Connection } from './network.js';
import { MAX_HANDSHAKE_BYTES } from './wire.js';

export interface FramedHandlers {
  opened(): void;
  frame(payload: Uint8Array): void;
  /** Once, for any end this side did not ask for; not after close(). protocolError: the bytes broke the rules (versus a plain close). */
  ended(reason: string, protocolError: boolean): void;
}

export class FramedConnection {
  /** Monotonic time anything last arrived. */
  lastHeardMs: number;
  private readonly decoder: FrameDecoder;
  private handlers: FramedHandlers | null = null;
  private handshaken = false;
  private bytesBeforeHandshake = 0;
  private closed = false;

  constructor(
    readonly connection: Connection,
    /** Who opened it: this member for a dialled connection, the peer for an accepted one (known after its hello). */
    public dialledBy: NodeId | null,
    maxFrameBytes: number,
    private readonly clock: Clock,
  ) {
    this.lastHeardMs = clock.monotonicNowMs();
    this.decoder = new FrameDecoder(maxFrameBytes);
    connection.setHandlers({
      opened: () => this.handlers?.opened(),
      data: (chunk) => this.receive(chunk),
      closed: (reason) => this.end(reason, false),
    });
  }

  get label(): string {
    return this.connection.label;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  listen(handlers: FramedHandlers): void {
    this.handlers = handlers;
  }

  /** From now on frames up to maxFrameBytes are welcome; before, a stranger may send only a handshake's worth. */
  markHandshaken(): void {
    this.handshaken = true;
  }

  write(bytes: Uint8Array, onFlushed: () => void = noop): void {
    if (!this.closed) this.connection.write(bytes, onFlushed);
  }

  bufferedBytes(): number {
    return this.closed ? 0 : this.connection.bufferedBytes();
  }

  /** Closes without reporting "ended"; finalBytes (e.g. a refusal) are sent first when given. */
  close(finalBytes?: Uint8Array): void {
    if (this.closed) return;
    this.closed = true;
    if (finalBytes === undefined) return this.connection.close();
    this.connection.write(finalBytes, noop);
    this.connection.end();
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.lastHeardMs = this.clock.monotonicNowMs();
    let payloads: Uint8Array[];
    try {
      payloads = this.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameTooLarge)) throw error;
      this.end(error.message, true);
      return;
    }
    let consumed = 0;
    for (const payload of payloads) {
      if (this.closed) return;
      consumed += FRAME_HEADER_BYTES + payload.length;
      this.handlers?.frame(payload);
    }
    if (!this.handshaken && !this.closed) {
      this.bytesBeforeHandshake += chunk.length - consumed;
      if (this.bytesBeforeHandshake > MAX_HANDSHAKE_BYTES) this.end(`sent more than ${MAX_HANDSHAKE_BYTES} bytes without completing a handshake`, true);
    }
  }

  private end(reason: string, protocolError: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.close();
    this.handlers?.ended(reason, protocolError);
  }
}

const noop = (): void => {};
