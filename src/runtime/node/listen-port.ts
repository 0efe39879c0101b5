// A port for a process about to listen on it, chosen below the kernel's
// ephemeral range: a port the kernel merely reports free (listen on 0, then
// close) is from that range, and any outgoing connection made before the
// member binds it can take it as its local port (the chaos suite lost a
// member that way). Below the range only another listener can, which is
// checked by binding first; a narrow race with such a listener remains.

import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const attempts = 50;
/** Ports this process handed out lately, never handed out again while remembered (members bind them a moment later). */
const handedOut = new Set<number>();
const rememberedPorts = 1_000;

function handOut(port: number): number {
  handedOut.add(port);
  if (handedOut.size > rememberedPorts) handedOut.delete(handedOut.values().next().value!);
  return port;
}

/** The low end of /proc/sys/net/ipv4/ip_local_port_range, or undefined where it cannot be read. */
function ephemeralLowPort(): number | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

function tryListen(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : undefined));
    });
  });
}

export async function freeListenPort(host = '127.0.0.1'): Promise<number> {
  const low = ephemeralLowPort();
  if (low !== undefined && low > 11_000) {
    const from = Math.max(10_000, low - 12_000);
    for (let i = 0; i < attempts; i++) {
      const candidate = randomInt(from, low);
      if (handedOut.has(candidate)) continue;
      const port = await tryListen(host, candidate);
      if (port !== undefined) return handOut(port);
    }
  }
  const port = await tryListen(host, 0);
  if (port === undefined) throw new Error(`could not find a free port on ${host}`);
  return handOut(port);
}
