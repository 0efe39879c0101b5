// What waits to go to one peer, bounded in bytes and in messages, and how it
// leaves: everything queued in a turn goes out in as few writes as the batch
// limit allows (Request Batch on the wire), frames in the order they were
// queued. The bound covers bytes already handed to the connection but not yet
// to the operating system, so a peer that stops reading cannot make this
// process hold more than maxQueuedBytes for it.

import { FRAME_HEADER_BYTES } from './frame.js';
import { FrameKind } from './wire.js';
import { scratchBytes } from '../scratch-bytes.js';

export interface SendQueueLimits {
  readonly maxQueuedBytesPerPeer: number;
  readonly maxQueuedMessagesPerPeer: number;
  readonly maxBatchBytes: number;
}

export interface DrainResult {
  readonly writes: number;
  readonly bytes: number;
  readonly messages: number;
}

export class SendQueue {
  private payloads: Uint8Array[] = [];
  /** Whether the payload is an application message (written with the message kind byte) or a whole control payload. */
  private isMessage: boolean[] = [];
  private pendingFrameBytes = 0;
  private pendingMessages = 0;
  /** Messages handed to the connection whose write has not completed. */
  private unflushedMessages = 0;
  private connectionGeneration = 0;

  constructor(private readonly limits: SendQueueLimits) {}

  get isEmpty(): boolean {
    return this.payloads.length === 0;
  }

  queuedMessages(): number {
    return this.pendingMessages + this.unflushedMessages;
  }

  /** Bytes in this process for the peer: pending frames plus what the connection still buffers. */
  queuedBytes(connectionBufferedBytes: number): number {
    return this.pendingFrameBytes + connectionBufferedBytes;
  }

  hasRoom(frameBytes: number, messages: number, connectionBufferedBytes: number): boolean {
    return this.queuedBytes(connectionBufferedBytes) + frameBytes <= this.limits.maxQueuedBytesPerPeer
      && this.queuedMessages() + messages <= this.limits.maxQueuedMessagesPerPeer;
  }

  push(payload: Uint8Array, isMessage: boolean): void {
    this.payloads.push(payload);
    this.isMessage.push(isMessage);
    this.pendingFrameBytes += frameBytesOf(payload, isMessage);
    if (isMessage) this.pendingMessages++;
  }

  /** A new connection: completions of writes to the old one no longer count. */
  forgetInFlight(): void {
    this.connectionGeneration++;
    this.unflushedMessages = 0;
  }

  /** Hands everything pending to write, in batches of at most maxBatchBytes (a single bigger frame goes alone). */
  drain(write: (batch: Uint8Array, onFlushed: () => void) => void): DrainResult {
    const payloads = this.payloads;
    const isMessage = this.isMessage;
    const count = payloads.length;
    let writes = 0;
    let bytes = 0;
    let totalMessages = 0;
    let start = 0;
    while (start < count) {
      let end = start;
      let batchBytes = 0;
      while (end < count) {
        const frameBytes = frameBytesOf(payloads[end]!, isMessage[end]!);
        if (end > start && batchBytes + frameBytes > this.limits.maxBatchBytes) break;
        batchBytes += frameBytes;
        end++;
      }
      const batch = scratchBytes(batchBytes);
      const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
      let offset = 0;
      let messages = 0;
      for (let i = start; i < end; i++) {
        const payload = payloads[i]!;
        if (isMessage[i]) {
          view.setUint32(offset, payload.length + 1, false);
          batch[offset + FRAME_HEADER_BYTES] = FrameKind.message;
          offset += FRAME_HEADER_BYTES + 1;
          messages++;
        } else {
          view.setUint32(offset, payload.length, false);
          offset += FRAME_HEADER_BYTES;
        }
        batch.set(payload, offset);
        offset += payload.length;
      }
      this.unflushedMessages += messages;
      const generation = this.connectionGeneration;
      write(batch, () => {
        if (generation === this.connectionGeneration) this.unflushedMessages -= messages;
      });
      writes++;
      bytes += batchBytes;
      totalMessages += messages;
      start = end;
    }
    this.clear();
    return { writes, bytes, messages: totalMessages };
  }

  /** Discards what is pending; returns how many messages that was. */
  clear(): number {
    const discarded = this.pendingMessages;
    this.payloads = [];
    this.isMessage = [];
    this.pendingFrameBytes = 0;
    this.pendingMessages = 0;
    return discarded;
  }
}

export const frameBytesOf = (payload: Uint8Array, isMessage: boolean): number => FRAME_HEADER_BYTES + payload.length + (isMessage ? 1 : 0);
