// --endpoints as etcdctl takes them: host:port or http://host:port, comma
// separated. etcdctl hands whatever it gets to gRPC and, for a typo, waits out
// the dial timeout to print "context deadline exceeded"; trellis checks each
// endpoint first and names what is wrong with it.

import { CliError, exitCodes } from './cli-error.js';

export interface Endpoint {
  /** As the user wrote it; etcdctl prints endpoints this way. */
  readonly text: string;
  readonly host: string;
  readonly port: number;
  /** What gRPC dials. */
  readonly target: string;
}

const hostName = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function bad(text: string, why: string): CliError {
  return new CliError(`bad endpoint ${JSON.stringify(text)}: ${why}`, exitCodes.badArgs);
}

export function parseEndpoint(raw: string): Endpoint {
  const text = raw.trim();
  if (text === '') throw new CliError('empty endpoint in --endpoints: expected host:port or http://host:port, comma separated', exitCodes.badArgs);
  let rest = text;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(text);
  if (scheme !== null) {
    const name = scheme[1]!.toLowerCase();
    if (name === 'https' || name === 'unixs') throw bad(text, `TLS (${name}://) is not supported by trellis yet; use http://`);
    if (name !== 'http') throw bad(text, `scheme ${name}:// is not supported; use host:port or http://host:port`);
    rest = scheme[2]!;
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    if (rest.slice(slash) !== '/') throw bad(text, `an endpoint has no path (${rest.slice(slash)}); use host:port or http://host:port`);
    rest = rest.slice(0, slash);
  }
  const parts = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(rest) ?? /^([^:[\]]*)(?::(.*))?$/.exec(rest);
  if (parts === null) throw bad(text, 'expected host:port or http://host:port');
  const host = parts[1]!;
  const portText = parts[2];
  if (host === '') throw bad(text, 'no host given; expected host:port or http://host:port');
  const ipv6 = rest.startsWith('[');
  if (!ipv6 && !hostName.test(host)) throw bad(text, `${JSON.stringify(host)} is not a host name or IP address`);
  if (portText === undefined) throw bad(text, 'no port given; expected host:port or http://host:port (etcd clients use port 2379)');
  if (!/^\d+$/.test(portText)) throw bad(text, `port ${JSON.stringify(portText)} is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(text, `port ${portText} is not between 1 and 65535`);
  return { text, host, port, target: ipv6 ? `[${host}]:${port}` : `${host}:${port}` };
}

/** The --endpoints list; empty entries from a trailing comma are mistakes too. */
export function parseEndpoints(list: readonly string[]): Endpoint[] {
  const endpoints = list.flatMap((item) => item.split(',')).map(parseEndpoint);
  if (endpoints.length === 0) throw new CliError('no endpoints given: pass --endpoints=host:port[,host:port...]', exitCodes.badArgs);
  return endpoints;
}
