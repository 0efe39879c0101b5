// The stream grpc-js is given in place of a socket whose requests carry an
// :authority Node's HTTP/2 server would refuse: client bytes go through the
// AuthorityRewriter, server bytes go to the socket as they are. Backpressure
// runs both ways: a full readable side pauses the socket, a full socket
// holds back the server's writes. A client whose bytes cannot be parsed is
// disconnected, which grpc-js sees as the connection closing.

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { AuthorityRewriter } from '../../net/hpack-rewriter.js';

export class RewritingDuplex extends Duplex {
  constructor(private readonly socket: Socket, private readonly rewriter: AuthorityRewriter, replay: Uint8Array, onBadInput: (error: Error) => void) {
    super({ allowHalfOpen: false });
    const forward = (chunk: Uint8Array): void => {
      let pieces: Uint8Array[];
      try {
        pieces = rewriter.fromClient(chunk);
      } catch (error) {
        onBadInput(error as Error);
        this.destroy();
        return;
      }
      if (pieces.length === 0) return;
      const joined = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
      if (!this.push(joined)) socket.pause();
    };
    forward(replay);
    socket.on('data', forward);
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
    socket.resume();
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.send([chunk], done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    this.send(chunks.map(({ chunk }) => chunk), done);
  }

  private send(chunks: Buffer[], done: (error?: Error | null) => void): void {
    try {
      for (const chunk of chunks) this.rewriter.fromServer(chunk);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (this.socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))) done();
    else this.socket.once('drain', () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.socket.end(done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.socket.destroy();
    done(error);
  }
}
