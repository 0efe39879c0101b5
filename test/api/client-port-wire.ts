// Low-level clients for the client port tests: raw TCP connections and
// node:http2 sessions that send a gRPC request with whatever :authority the
// test chooses, as etcd's Go client does for its Maintenance calls.

import { connect as connectHttp2, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { connect, type Socket } from 'node:net';

/** A TCP connection whose incoming bytes are read (so that its end is seen). */
export function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
    socket.resume();
  });
}

/** Resolves when the socket or session closes; rejects after limitMs. */
export function closed(socket: { once(event: 'close', listener: () => void): unknown }, limitMs: number, what = 'the connection'): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} was still open after ${limitMs} ms`)), limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** An empty protobuf message in gRPC's length-prefixed framing. */
export const emptyGrpcMessage = Buffer.alloc(5);

export interface GrpcCall {
  readonly session: ClientHttp2Session;
  readonly stream: ClientHttp2Stream;
  /** Response headers and trailers merged, or the stream's reset code. */
  readonly outcome: Promise<{ status?: string; grpcStatus?: string; rstCode: number }>;
}

/** Starts a gRPC call on a new HTTP/2 connection; with end false the request stays open. */
export function grpcCall(port: number, authority: string, path: string, end = true): GrpcCall {
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const stream = session.request({ ':method': 'POST', ':path': path, ':authority': authority, 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => {});
  const outcome = new Promise<{ status?: string; grpcStatus?: string; rstCode: number }>((resolve) => {
    const seen: { status?: string; grpcStatus?: string } = {};
    stream.on('response', (headers) => {
      seen.status = String(headers[':status']);
      if (headers['grpc-status'] !== undefined) seen.grpcStatus = String(headers['grpc-status']);
    });
    stream.on('trailers', (trailers) => {
      seen.grpcStatus = String(trailers['grpc-status']);
    });
    stream.on('close', () => resolve({ ...seen, rstCode: stream.rstCode ?? 0 }));
    stream.resume();
  });
  if (end) stream.end(emptyGrpcMessage);
  else stream.write(emptyGrpcMessage);
  return { session, stream, outcome };
}
