// One gRPC channel to one etcd endpoint, with every etcd service's methods
// reachable through it. Requests carry a deadline (--command-timeout); the
// channel is chosen by dialing all endpoints at once and keeping the first
// that answers within --dial-timeout, as etcd's client balancer would.

import { connect as tcpConnect } from 'node:net';
import { Client, credentials, Metadata, type ClientDuplexStream, type ClientReadableStream, type MethodDefinition } from '@grpc/grpc-js';
import { etcdServices, type EtcdServiceName } from '../../api/etcd/proto.js';
import { CliError, exitCodes } from './cli-error.js';
import type { Endpoint } from './endpoints.js';
import { formatGoDuration } from './go-format.js';
import { withoutZeros } from './proto-json.js';

/** A message as proto-loader gives it: 64-bit integers as decimal strings, bytes as Buffers, enums by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Wire = Record<string, any>;

/** etcdctl's MaxCallRecvMsgSize: a range answer may be large, but not unbounded. */
export const maxResponseBytes = 2 ** 31 - 1;

const channelOptions = {
  'grpc.max_receive_message_length': maxResponseBytes,
  'grpc.max_send_message_length': maxResponseBytes,
  // grpc-go (etcdctl) pings no more often than every 10 s; etcd and Trellis
  // refuse pings more frequent than every 5 s.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 6_000,
};

type Method = MethodDefinition<Wire, Wire>;

let methods: Record<EtcdServiceName, Record<string, Method>> | null = null;

/** Parses etcd's .proto files once (a few hundred ms): before dialing, so no request's deadline or timing pays for it. */
function loadMethods(): Record<EtcdServiceName, Record<string, Method>> {
  if (methods === null) {
    const services = etcdServices();
    methods = {} as Record<EtcdServiceName, Record<string, Method>>;
    for (const key of Object.keys(services) as EtcdServiceName[]) methods[key] = services[key].service as unknown as Record<string, Method>;
  }
  return methods;
}

function method(service: EtcdServiceName, name: string): Method {
  const found = loadMethods()[service][name];
  if (found === undefined) throw new Error(`etcd service ${service} has no method ${name}`);
  return found;
}

/** Requests leave with their zero fields out, as etcd's Go client sends them (see withoutZeros). */
function requestSerializer(definition: Method): (request: Wire) => Buffer {
  // proto-loader's method definitions name their request message; grpc-js's type leaves that out.
  const typeName = `etcdserverpb.${(definition as unknown as { requestType: { type: { name: string } } }).requestType.type.name}`;
  return (request) => definition.requestSerialize(withoutZeros(typeName, request));
}

export interface RequestOptions {
  readonly metadata?: Metadata;
  /** Overrides --command-timeout; null for no deadline (streams that run until stopped). */
  readonly timeoutMs?: number | null;
}

export class Connection {
  private closed = false;

  private constructor(
    readonly endpoint: Endpoint,
    private readonly client: Client,
    private readonly commandTimeoutMs: number,
  ) {}

  /** The first of endpoints whose gRPC channel is ready within dialTimeoutMs. */
  static async dial(endpoints: readonly Endpoint[], dialTimeoutMs: number, commandTimeoutMs: number): Promise<Connection> {
    loadMethods();
    const deadline = Date.now() + dialTimeoutMs;
    const attempts = endpoints.map((endpoint) => {
      const client = new Client(endpoint.target, credentials.createInsecure(), channelOptions);
      const ready = new Promise<Connection>((resolve, reject) =>
        client.waitForReady(deadline, (error) => (error === undefined || error === null ? resolve(new Connection(endpoint, client, commandTimeoutMs)) : reject(error))),
      );
      return { endpoint, client, ready };
    });
    try {
      const winner = await Promise.any(attempts.map((attempt) => attempt.ready));
      for (const attempt of attempts) if (attempt.client !== winner.client) attempt.client.close();
      return winner;
    } catch {
      for (const attempt of attempts) attempt.client.close();
      // Only now find out why, so a healthy cluster never sees the probe.
      const probeTimeoutMs = Math.min(dialTimeoutMs, maxProbeMs);
      const reasons = await Promise.all(attempts.map(async (attempt) => `${attempt.endpoint.text}: ${await probe(attempt.endpoint, probeTimeoutMs)}`));
      throw new CliError(
        `context deadline exceeded: no endpoint answered within the dial timeout (${formatGoDuration(dialTimeoutMs * 1e6)}): ${reasons.join('; ')}`,
        exitCodes.badConnection,
      );
    }
  }

  private deadline(options: RequestOptions): Date | number {
    const timeoutMs = options.timeoutMs === undefined ? this.commandTimeoutMs : options.timeoutMs;
    return timeoutMs === null ? Infinity : new Date(Date.now() + timeoutMs);
  }

  unary(service: EtcdServiceName, name: string, request: Wire, options: RequestOptions = {}): Promise<Wire> {
    const definition = method(service, name);
    return new Promise<Wire>((resolve, reject) => {
      this.client.makeUnaryRequest(
        definition.path, requestSerializer(definition), definition.responseDeserialize, request,
        options.metadata ?? new Metadata(), { deadline: this.deadline(options) },
        (error, response) => (error !== null && error !== undefined ? reject(error) : resolve(response!)),
      );
    });
  }

  serverStream(service: EtcdServiceName, name: string, request: Wire, options: RequestOptions = {}): ClientReadableStream<Wire> {
    const definition = method(service, name);
    return this.client.makeServerStreamRequest(definition.path, requestSerializer(definition), definition.responseDeserialize, request, options.metadata ?? new Metadata(), {
      deadline: this.deadline({ timeoutMs: null, ...options }),
    });
  }

  duplex(service: EtcdServiceName, name: string, options: RequestOptions = {}): ClientDuplexStream<Wire, Wire> {
    const definition = method(service, name);
    return this.client.makeBidiStreamRequest(definition.path, requestSerializer(definition), definition.responseDeserialize, options.metadata ?? new Metadata(), {
      deadline: this.deadline({ timeoutMs: null, ...options }),
    });
  }

  /** protobuf bytes of a response, as etcdctl -w protobuf prints them. */
  static serializeResponse(service: EtcdServiceName, name: string, response: Wire): Buffer {
    return method(service, name).responseSerialize(response);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

/** Longest the diagnosis of a failed dial may add to the dial timeout. */
const maxProbeMs = 1_000;

/** Why an endpoint did not answer, found by a plain TCP connection after the gRPC dial failed. */
function probe(endpoint: Endpoint, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = tcpConnect({ host: endpoint.host, port: endpoint.port });
    const finish = (reason: string): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer within ${formatGoDuration(timeoutMs * 1e6)}`));
    socket.once('connect', () => finish('accepts connections but did not answer gRPC: is this an etcd client URL?'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const known: Record<string, string> = {
        ECONNREFUSED: 'connection refused (is the server running and listening there?)',
        ENOTFOUND: `host ${endpoint.host} not found`,
        EAI_AGAIN: `host ${endpoint.host} could not be resolved`,
        EHOSTUNREACH: 'host unreachable',
        ENETUNREACH: 'network unreachable',
        ETIMEDOUT: 'connection timed out',
      };
      finish(known[error.code ?? ''] ?? error.message);
    });
  });
}
