// The HTTP endpoints /health, /version and /metrics on node:http. One
// server answers both the HTTP/1 connections the client port's front hands
// over (etcd serves these on its client port too, through cmux) and, when
// asked, a listener of its own (etcd's --listen-metrics-urls). This file is
// real I/O (node:http).

import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { EtcdBackend } from './backend.js';
import { answerHttp } from './http-endpoints.js';

export interface HttpEndpoints {
  /** Serves an HTTP/1 connection accepted by someone else, its first bytes already put back. */
  accept(socket: Socket): void;
  /** Listens on host:port as well; resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
}

/** Requests that take longer than this are answered 503, so a stuck backend cannot pile up sockets. */
const httpRequestTimeoutMs = 5_000;
/** A connection with nothing to send or receive for this long is closed (longer than any request may take). */
const httpIdleTimeoutMs = 30_000;
const maxHttpConnections = 256;
/**
 * node:http enforces its header and request deadlines only on connections it
 * accepted itself; one handed over by the front is closed after this long
 * instead, so a client dribbling bytes cannot hold it forever.
 */
const acceptedConnectionLifetimeMs = 60_000;

export function createHttpEndpoints(backend: EtcdBackend): HttpEndpoints {
  const server: Server = createServer((request, response) => {
    answerHttp(backend, request.method ?? 'GET', request.url ?? '/').then(
      (answer) => {
        response.writeHead(answer.status, { 'content-type': answer.contentType });
        response.end(request.method === 'HEAD' ? undefined : answer.body);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  });
  server.requestTimeout = httpRequestTimeoutMs;
  server.timeout = httpIdleTimeoutMs;
  server.maxConnections = maxHttpConnections;
  const accepted = new Set<Socket>();
  let listening = false;

  return {
    accept(socket) {
      if (accepted.size >= maxHttpConnections) {
        socket.destroy();
        return;
      }
      accepted.add(socket);
      const lifetime = setTimeout(() => socket.destroy(), acceptedConnectionLifetimeMs);
      lifetime.unref();
      socket.once('close', () => {
        clearTimeout(lifetime);
        accepted.delete(socket);
      });
      server.emit('connection', socket);
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        const refused = (error: Error): void => reject(new Error(`cannot listen for /health, /version and /metrics on ${host.includes(':') ? `[${host}]` : host}:${port}: ${error.message}`));
        server.once('error', refused);
        server.listen(port, host, () => {
          server.off('error', refused);
          listening = true;
          const address = server.address();
          resolve(typeof address === 'object' && address !== null ? address.port : port);
        });
      });
    },
    close() {
      for (const socket of accepted) socket.destroy();
      if (!listening) return Promise.resolve();
      return new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      });
    },
  };
}
