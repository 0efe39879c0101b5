// etcd's service definitions, loaded from the .proto files the etcd3 npm
// package ships, never retyped: field numbers and names then match etcd
// exactly. 64-bit integers arrive as decimal strings (longs: String) so ids
// above 2^53 stay exact; wire-values.ts turns them into bigint.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

export const etcdServiceNames = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'] as const;
export type EtcdServiceName = (typeof etcdServiceNames)[number];

export const protoLoaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

let cached: PackageDefinition | null = null;

export function etcdProtoPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('etcd3/package.json')), 'proto', 'rpc.proto');
}

export function etcdPackageDefinition(): PackageDefinition {
  cached ??= passSerializedAnswers(loadSync(etcdProtoPath(), protoLoaderOptions));
  return cached;
}

/**
 * Each method's response serializer, made to pass an answer that is already
 * bytes (response-codec.ts encodes the busiest by hand) straight through;
 * any other answer is encoded by proto-loader as before.
 */
function passSerializedAnswers(definition: PackageDefinition): PackageDefinition {
  for (const entry of Object.values(definition)) {
    if ('format' in entry) continue; // a message type, not a service
    for (const method of Object.values(entry as Record<string, { responseSerialize: (value: unknown) => Buffer }>)) {
      const encode = method.responseSerialize;
      method.responseSerialize = (value: unknown) => (value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : encode(value));
    }
  }
  return definition;
}

/** The client/service constructors of package etcdserverpb. */
export function etcdServices(): Record<EtcdServiceName, ServiceClientConstructor> {
  const root = loadPackageDefinition(etcdPackageDefinition());
  const pb = root['etcdserverpb'] as GrpcObject;
  const services = {} as Record<EtcdServiceName, ServiceClientConstructor>;
  for (const name of etcdServiceNames) services[name] = pb[name] as ServiceClientConstructor;
  return services;
}
