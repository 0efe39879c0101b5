// A Trellis etcd endpoint for tests: LocalBackend on the system clock,
// gRPC on 127.0.0.1 with a port the kernel picks.

import { LocalBackend, type LocalBackendOptions } from '../../src/api/etcd/local-backend.js';
import { startEtcdServer, type EtcdServer, type EtcdServerOptions } from '../../src/api/etcd/server.js';
import { SystemClock, SystemTimers } from '../../src/runtime/node/system-clock.js';

export interface LocalEtcd {
  readonly backend: LocalBackend;
  readonly server: EtcdServer;
  /** host:port, as etcdctl and the etcd3 client take it. */
  readonly address: string;
  close(): Promise<void>;
}

export async function startLocalEtcd(
  backendOptions: Partial<LocalBackendOptions> = {},
  serverOptions: Partial<Omit<EtcdServerOptions, 'backend' | 'listen'>> = {},
): Promise<LocalEtcd> {
  const backend = new LocalBackend({ clock: new SystemClock(), timers: new SystemTimers(), memberName: 'trellis', peerUrls: ['http://127.0.0.1:2380'], ...backendOptions });
  const server = await startEtcdServer({ backend, listen: { host: '127.0.0.1', port: 0 }, ...serverOptions });
  return {
    backend,
    server,
    address: `127.0.0.1:${server.port}`,
    async close() {
      await server.close();
      backend.close();
    },
  };
}
