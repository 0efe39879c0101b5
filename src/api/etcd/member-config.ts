// What `trellis server` is told, under etcd's flag names, checked the way
// etcd checks it, and the identities derived from it: each member's 64-bit
// id from its peer URLs and the cluster token, the cluster id from the
// members' ids. Every initial member derives the same ids from the same
// --initial-cluster, so they agree on the cluster without talking first.

import { createHash } from 'node:crypto';
import { nodeId, type NodeId } from '../../ids.js';

export interface MemberConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: readonly URL[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly URL[];
  readonly initialAdvertisePeerUrls: readonly string[];
  /** name → peer URLs, in flag order. */
  readonly initialCluster: ReadonlyMap<string, readonly string[]>;
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Entries applied between snapshots. */
  readonly snapshotCount: number;
  readonly quotaBackendBytes: number;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  readonly listenMetricsUrls: readonly URL[];
  /** A planted bug for the fault tests only. */
  readonly unsafeStaleLinearizableReads: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** etcd's defaults, except the data directory: `<name>.trellis`. */
export const memberDefaults = {
  name: 'default',
  listenClientUrls: 'http://127.0.0.1:2379',
  advertiseClientUrls: 'http://127.0.0.1:2379',
  listenPeerUrls: 'http://127.0.0.1:2380',
  initialAdvertisePeerUrls: 'http://127.0.0.1:2380',
  initialClusterState: 'new',
  initialClusterToken: 'etcd-cluster',
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1000,
  snapshotCount: 100_000,
  quotaBackendBytes: 2 * 1024 * 1024 * 1024,
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxTxnOps: 128,
} as const;

/** A comma-separated URL list, each http://host:port, as etcd accepts for client and peer URLs. */
export function parseUrls(flag: string, text: string): URL[] {
  const parts = text.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (parts.length === 0) throw new ConfigError(`--${flag} is empty: give at least one URL like http://127.0.0.1:2379`);
  return parts.map((part) => {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new ConfigError(`--${flag}: "${part}" is not a URL: expected something like http://127.0.0.1:2379`);
    }
    if (url.protocol !== 'http:') throw new ConfigError(`--${flag}: "${part}" uses ${url.protocol.replace(':', '')}; Trellis serves plain http:// (no TLS yet)`);
    if (url.port === '') throw new ConfigError(`--${flag}: "${part}" has no port: write it as http://${url.hostname}:PORT`);
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '') throw new ConfigError(`--${flag}: "${part}" must be scheme://host:port with no path`);
    return url;
  });
}

/** "n1=http://a:2380,n2=http://b:2380" (a name may repeat for several URLs), as etcd's --initial-cluster. */
export function parseInitialCluster(text: string): Map<string, string[]> {
  const cluster = new Map<string, string[]>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const equals = part.indexOf('=');
    if (equals <= 0) throw new ConfigError(`--initial-cluster: "${part}" is not name=URL`);
    const name = part.slice(0, equals);
    const [url] = parseUrls('initial-cluster', part.slice(equals + 1));
    const urls = cluster.get(name) ?? [];
    urls.push(canonicalUrl(url!));
    cluster.set(name, urls);
  }
  if (cluster.size === 0) throw new ConfigError('--initial-cluster is empty: give name=URL for every initial member');
  return cluster;
}

/** http://host:port with no trailing slash, as etcd prints and compares peer URLs. */
export function canonicalUrl(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function idFrom(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigUInt64BE(0) || 1n;
}

/** A member's id, from its peer URLs and the cluster token (etcd hashes the same inputs). */
export function memberIdOf(peerUrls: readonly string[], token: string): bigint {
  return idFrom(`member|${[...peerUrls].sort().join(',')}|${token}`);
}

export function clusterIdOf(memberIds: readonly bigint[], token: string): bigint {
  return idFrom(`cluster|${[...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',')}|${token}`);
}

/** The Raft node id of a member: its id in hex, as etcd prints member ids. */
export function nodeIdOfMember(id: bigint): NodeId {
  return nodeId(id.toString(16).padStart(16, '0'));
}

export interface InitialMember {
  readonly name: string;
  readonly id: bigint;
  readonly node: NodeId;
  readonly peerUrls: readonly string[];
}

export function initialMembers(config: MemberConfig): InitialMember[] {
  return [...config.initialCluster].map(([name, peerUrls]) => {
    const id = memberIdOf(peerUrls, config.initialClusterToken);
    return { name, id, node: nodeIdOfMember(id), peerUrls };
  });
}

/** The checks etcd makes before it starts, with messages that say what to change. */
export function checkMemberConfig(config: MemberConfig): void {
  if (config.name.length === 0) throw new ConfigError('--name is empty');
  if (config.heartbeatIntervalMs < 1) throw new ConfigError(`--heartbeat-interval must be a positive number of milliseconds, got ${config.heartbeatIntervalMs}`);
  if (config.electionTimeoutMs < 5 * config.heartbeatIntervalMs) {
    throw new ConfigError(`--election-timeout[${config.electionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[${config.heartbeatIntervalMs}ms]`);
  }
  if (config.electionTimeoutMs > 50_000) throw new ConfigError(`--election-timeout[${config.electionTimeoutMs}ms] is too long, and should be set less than 50 seconds`);
  const own = config.initialCluster.get(config.name);
  if (own === undefined) {
    throw new ConfigError(`couldn't find local name "${config.name}" in the initial cluster configuration (--initial-cluster lists ${[...config.initialCluster.keys()].join(', ')})`);
  }
  const advertised = [...config.initialAdvertisePeerUrls].sort().join(',');
  if ([...own].sort().join(',') !== advertised) {
    throw new ConfigError(`--initial-cluster has ${config.name}=${own.join(',')} but missing from --initial-advertise-peer-urls=${config.initialAdvertisePeerUrls.join(',')}`);
  }
  const seen = new Map<string, string>();
  for (const [name, urls] of config.initialCluster) {
    for (const url of urls) {
      const other = seen.get(url);
      if (other !== undefined && other !== name) throw new ConfigError(`--initial-cluster gives ${url} to both ${other} and ${name}`);
      seen.set(url, name);
    }
  }
  for (const [flag, value] of [['snapshot-count', config.snapshotCount], ['quota-backend-bytes', config.quotaBackendBytes], ['max-request-bytes', config.maxRequestBytes], ['max-txn-ops', config.maxTxnOps]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`--${flag} must be a positive whole number, got ${value}`);
  }
}
