// startEtcdServer: etcd's v3 gRPC services over an EtcdBackend, and the
// HTTP endpoints /health, /version and /metrics, sharing the client port as
// etcd's do: the front in src/runtime/node/client-port.ts owns the socket and
// hands HTTP/2 connections to the gRPC server, HTTP/1 ones to node:http. The HTTP
// endpoints can have a port of their own too (etcd's --listen-metrics-urls).
// Limits follow etcd 3.4: requests up to --max-request-bytes (1.5 MiB) are
// read, and gRPC accepts 512 KiB more so that a request just over the limit
// reaches the backend and gets etcd's "request is too large" rather than a
// transport error; beyond that the transport refuses it with RESOURCE_EXHAUSTED.
// The gRPC server is the lean one of ./grpc (HTTP/2 parsed in-process, a few
// allocations per call); grpc-js's remains selectable, for comparison.

import type { Duplex } from 'node:stream';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/proto-loader';
import { defaultKvLimits } from '../../kv/limits.js';
import { defaultH2SessionLimits } from '../../net/h2-session.js';
import { silentLogger, type Logger } from '../../runtime/logger.js';
import { openClientPort, type ClientPort, type ClientPortCounters, type ClientPortLimits } from '../../runtime/node/client-port.js';
import { serveGrpcConnection } from '../../runtime/node/client-port-grpc.js';
import { SystemClock, SystemTimers } from '../../runtime/node/system-clock.js';
import type { Timers } from '../../runtime/timers.js';
import type { EtcdBackend } from './backend.js';
import { GrpcServer } from './grpc/grpc-server.js';
import { createHttpEndpoints } from './http-server.js';
import { etcdPackageDefinition, etcdServiceNames, etcdServices } from './proto.js';
import { authService } from './services/auth-service.js';
import { clusterService } from './services/cluster-service.js';
import { kvService } from './services/kv-service.js';
import { leaseService } from './services/lease-service.js';
import { maintenanceService } from './services/maintenance-service.js';
import type { ServiceContext } from './services/service-context.js';
import { watchService } from './services/watch-service.js';

/** etcd's grpcOverheadBytes: room for the envelope around a request of maxRequestBytes. */
export const grpcOverheadBytes = 512 * 1024;

export interface EtcdServerOptions {
  readonly backend: EtcdBackend;
  readonly listen: { readonly host: string; readonly port: number };
  /** A second address for /health, /version and /metrics (etcd's --listen-metrics-urls); the client port serves them regardless. */
  readonly http?: { readonly host: string; readonly port: number };
  /** Deadlines and buffer limits of the client port's front. */
  readonly clientPortLimits?: Partial<ClientPortLimits>;
  readonly maxRequestBytes?: number;
  readonly maxTxnOps?: number;
  /** etcd: 5 s plus two election timeouts. */
  readonly requestTimeoutMs?: number;
  readonly maxConcurrentStreamsPerConnection?: number;
  readonly maxKeepAliveInflight?: number;
  readonly timers?: Timers;
  readonly logger?: Logger;
  /** Which gRPC server answers: the lean one (default) or grpc-js's. */
  readonly grpcImplementation?: 'lean' | 'grpc-js';
}

export interface EtcdServer {
  readonly port: number;
  /** The HTTP endpoints' own port (options.http), or null when they are served on the client port only. */
  readonly httpPort: number | null;
  /** What clients pass as --endpoints. */
  readonly endpoint: string;
  /** How the client port's front has handed connections over so far. */
  readonly clientPortCounters: Readonly<ClientPortCounters>;
  close(): Promise<void>;
}

export async function startEtcdServer(options: EtcdServerOptions): Promise<EtcdServer> {
  const maxRequestBytes = options.maxRequestBytes ?? defaultKvLimits.maxRequestBytes;
  const context: ServiceContext = {
    backend: options.backend,
    timers: options.timers ?? new SystemTimers(),
    logger: options.logger ?? silentLogger,
    requestTimeoutMs: options.requestTimeoutMs ?? 7_000,
    maxTxnOps: options.maxTxnOps ?? defaultKvLimits.maxTxnOps,
    maxKeepAliveInflight: options.maxKeepAliveInflight ?? 1_000,
  };
  const implementations: Record<(typeof etcdServiceNames)[number], UntypedServiceImplementation> = {
    KV: kvService(context),
    Watch: watchService(context),
    Lease: leaseService(context),
    Cluster: clusterService(context),
    Maintenance: maintenanceService(context),
    Auth: authService(context),
  };
  const maxConcurrentStreams = options.maxConcurrentStreamsPerConnection ?? 1_000;
  let acceptHttp2: (connection: Duplex) => void;
  let shutdownGrpc: () => void;
  if (options.grpcImplementation === 'grpc-js') {
    const server = new Server({
      'grpc.max_receive_message_length': maxRequestBytes + grpcOverheadBytes,
      'grpc.max_send_message_length': 2 ** 31 - 1,
      'grpc.max_concurrent_streams': maxConcurrentStreams,
      // etcd's server-side keepalive enforcement: clients may ping every 5 s.
      'grpc.keepalive_time_ms': 2 * 60 * 60 * 1000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    });
    const services = etcdServices();
    for (const name of etcdServiceNames) server.addService(services[name].service, implementations[name]);
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    acceptHttp2 = (connection) => injector.injectConnection(connection);
    shutdownGrpc = () => server.forceShutdown();
  } else {
    const lean = new GrpcServer({
      clock: new SystemClock(), timers: context.timers, logger: context.logger,
      limits: { maxReceiveMessageBytes: maxRequestBytes + grpcOverheadBytes, session: { ...defaultH2SessionLimits, maxConcurrentStreams } },
    });
    const definition = etcdPackageDefinition();
    for (const name of etcdServiceNames) lean.addService(definition[`etcdserverpb.${name}`] as ServiceDefinition, implementations[name]);
    acceptHttp2 = (connection) => serveGrpcConnection(lean, connection);
    shutdownGrpc = () => lean.close();
  }

  const http = createHttpEndpoints(options.backend);
  const { host } = options.listen;
  let front: ClientPort | null = null;
  let httpPort: number | null = null;
  try {
    front = await openClientPort({
      host, port: options.listen.port, limits: options.clientPortLimits, logger: context.logger,
      routes: { http1: (socket) => http.accept(socket), http2: acceptHttp2 },
    });
    if (options.http !== undefined) httpPort = await http.listen(options.http.host, options.http.port);
  } catch (error) {
    await front?.close();
    await http.close();
    shutdownGrpc();
    throw error;
  }
  const clientPort = front;
  const port = clientPort.port;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  options.backend.announceClientUrls([endpoint]);

  let closing: Promise<void> | null = null;
  return {
    port,
    httpPort,
    endpoint,
    clientPortCounters: clientPort.counters,
    close() {
      closing ??= (async () => {
        // Streams (watches, keep-alives) never end by themselves, so a graceful
        // shutdown would wait forever: end them all.
        // Shutting the gRPC server down also closes its sessions, sockets handed over included.
        shutdownGrpc();
        await clientPort.close();
        await http.close();
      })();
      return closing;
    },
  };
}
