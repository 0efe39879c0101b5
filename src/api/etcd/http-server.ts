// The HTTP listener for /health, /version and /metrics. etcd multiplexes
// these onto its client port with cmux; grpc-js owns its socket outright,
// so Trellis serves them on a separate port, as etcd does for
// --listen-metrics-urls. This file is real I/O (node:http).

import { createServer, type Server } from 'node:http';
import type { EtcdBackend } from './backend.js';
import { answerHttp } from './http-endpoints.js';

export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Requests that take longer than this are answered 503, so a stuck backend cannot pile up sockets. */
const httpRequestTimeoutMs = 5_000;
const maxHttpConnections = 256;

export function startHttpListener(backend: EtcdBackend, host: string, port: number): Promise<HttpListener> {
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
  server.maxConnections = maxHttpConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const boundPort = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        port: boundPort,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
