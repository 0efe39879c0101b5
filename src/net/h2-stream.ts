// One stream of a server-side HTTP/2 connection: what the session knows of
// its state (RFC 9113 section 5.1) and what waits to be sent on it. DATA
// waits here while the peer's flow-control windows are closed; the trailers
// (the header block that ends the stream) wait behind the last of it.

/** What the application (the gRPC layer) hears about a stream after its request headers. */
export interface H2StreamListener {
  /** Request body bytes, in order. The view is only valid during the call: copy what must be kept. */
  onData(bytes: Uint8Array): void;
  /** The client sent END_STREAM: no more data will come. */
  onEnd(): void;
  /** The stream ended abnormally: reset by the client (its code), or the connection is gone. Nothing more is sent. */
  onReset(code: number): void;
  /** Everything queued on the stream has been handed to the connection. */
  onDrained(): void;
}

const idleListener: H2StreamListener = { onData: () => {}, onEnd: () => {}, onReset: () => {}, onDrained: () => {} };

export class H2Stream {
  listener: H2StreamListener = idleListener;
  /** The client sent END_STREAM. */
  remoteEnded = false;
  /** We queued the end of the stream (trailers or a reset); nothing more may be queued. */
  localEnded = false;
  /** Gone from the session: fully ended both ways, or reset. */
  closed = false;
  /** Response HEADERS have been written. */
  headersSent = false;
  /** Bytes the client may still send before it needs a WINDOW_UPDATE, and bytes received since the last one. */
  receiveWindow: number;
  receivedSinceUpdate = 0;
  /** Bytes the peer lets us send on this stream (may go negative after a SETTINGS change). */
  sendWindow: number;
  /** DATA payload waiting for window, oldest first; the head may be partly sent. */
  readonly queued: Uint8Array[] = [];
  queuedOffset = 0;
  queuedBytes = 0;
  /** The header block that ends the stream, once the queued data is out. */
  trailers: Uint8Array | null = null;

  constructor(readonly id: number, sendWindow: number, receiveWindow: number) {
    this.sendWindow = sendWindow;
    this.receiveWindow = receiveWindow;
  }

  /** Takes up to `max` queued bytes off the front (as one view when they sit in one piece). */
  take(max: number): Uint8Array {
    const head = this.queued[0]!;
    const available = head.length - this.queuedOffset;
    if (available > max) {
      const part = head.subarray(this.queuedOffset, this.queuedOffset + max);
      this.queuedOffset += max;
      this.queuedBytes -= max;
      return part;
    }
    const part = this.queuedOffset === 0 ? head : head.subarray(this.queuedOffset);
    this.queued.shift();
    this.queuedOffset = 0;
    this.queuedBytes -= part.length;
    return part;
  }

  /** Forgets what was queued (the stream was reset). */
  discard(): void {
    this.queued.length = 0;
    this.queuedOffset = 0;
    this.queuedBytes = 0;
    this.trailers = null;
  }
}
