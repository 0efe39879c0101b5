// The lean gRPC server's sessions on real connections: what the client port's
// front hands over (the socket itself, or the authority-rewriting stream)
// feeds an H2Session, and the session's frames go back in one write per
// connection per turn of the event loop, however many answers the turn
// completed. A connection whose unsent bytes pass congestionBytes holds
// further DATA (the session resumes on 'drain'); control frames always go.

import type { Duplex } from 'node:stream';
import type { GrpcServer } from '../../api/etcd/grpc/grpc-server.js';
import type { H2Sink } from '../../net/h2-session.js';

export interface GrpcConnectionLimits {
  /** Bytes the connection may hold unsent before DATA waits. */
  readonly congestionBytes: number;
  /** How long a connection the server ended may take to flush its last frames before it is destroyed. */
  readonly closeLingerMs: number;
}

export const defaultGrpcConnectionLimits: GrpcConnectionLimits = { congestionBytes: 1024 * 1024, closeLingerMs: 1_000 };

export function serveGrpcConnection(server: GrpcServer, connection: Duplex, limits: GrpcConnectionLimits = defaultGrpcConnectionLimits): void {
  const chunks: Uint8Array[] = [];
  let scheduled = false;
  let ending = false;
  let gone = false;
  const flush = (): void => {
    scheduled = false;
    if (gone) return;
    if (chunks.length > 0) {
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks.length = 0;
      connection.write(data);
    }
    if (ending) {
      connection.end();
      setTimeout(() => connection.destroy(), limits.closeLingerMs).unref();
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  const sink: H2Sink = {
    write(bytes) {
      if (gone || ending) return;
      chunks.push(bytes);
      schedule();
    },
    get congested() {
      return connection.writableLength > limits.congestionBytes;
    },
    close() {
      ending = true;
      schedule();
    },
  };
  const session = server.openSession(sink);
  connection.on('data', (chunk: Buffer) => session.receive(chunk));
  connection.on('drain', () => session.sinkDrained());
  connection.on('error', () => connection.destroy());
  connection.once('close', () => {
    gone = true;
    session.transportClosed('the connection closed');
  });
  connection.resume();
}
