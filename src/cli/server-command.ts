// `trellis server`: one member of a cluster, under etcd's flag names. With no
// flags it is a single-member cluster on 127.0.0.1:2379 with its data in
// ./default.trellis, as `etcd` alone is one on localhost:2379.

import { Command, Option } from 'commander';
import pino from 'pino';
import {
  ConfigError, checkMemberConfig, memberDefaults, parseInitialCluster, parseUrls, canonicalUrl, type MemberConfig,
} from '../api/etcd/member-config.js';
import type { Logger } from '../runtime/logger.js';

interface ServerFlags {
  name: string;
  dataDir?: string;
  listenClientUrls: string;
  advertiseClientUrls?: string;
  listenPeerUrls: string;
  initialAdvertisePeerUrls?: string;
  initialCluster?: string;
  initialClusterState: string;
  initialClusterToken: string;
  heartbeatInterval: string;
  electionTimeout: string;
  snapshotCount: string;
  quotaBackendBytes: string;
  maxRequestBytes: string;
  maxTxnOps: string;
  listenMetricsUrls?: string;
  logLevel: string;
  unsafeStaleLinearizableReads?: boolean;
}

function wholeNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`--${flag} must be a whole number, got "${text}"`);
  return value;
}

export function memberConfigFromFlags(flags: ServerFlags): MemberConfig {
  const name = flags.name;
  const listenPeerUrls = parseUrls('listen-peer-urls', flags.listenPeerUrls);
  const initialAdvertisePeerUrls = parseUrls('initial-advertise-peer-urls', flags.initialAdvertisePeerUrls ?? flags.listenPeerUrls).map(canonicalUrl);
  const listenClientUrls = parseUrls('listen-client-urls', flags.listenClientUrls);
  const state = flags.initialClusterState;
  if (state !== 'new' && state !== 'existing') throw new ConfigError(`--initial-cluster-state must be new or existing, got "${state}"`);
  const config: MemberConfig = {
    name,
    dataDir: flags.dataDir ?? `${name}.trellis`,
    listenClientUrls,
    advertiseClientUrls: parseUrls('advertise-client-urls', flags.advertiseClientUrls ?? flags.listenClientUrls).map(canonicalUrl),
    listenPeerUrls,
    initialAdvertisePeerUrls,
    initialCluster: parseInitialCluster(flags.initialCluster ?? `${name}=${initialAdvertisePeerUrls.join(`,${name}=`)}`),
    initialClusterState: state,
    initialClusterToken: flags.initialClusterToken,
    heartbeatIntervalMs: wholeNumber('heartbeat-interval', flags.heartbeatInterval),
    electionTimeoutMs: wholeNumber('election-timeout', flags.electionTimeout),
    snapshotCount: wholeNumber('snapshot-count', flags.snapshotCount),
    quotaBackendBytes: wholeNumber('quota-backend-bytes', flags.quotaBackendBytes),
    maxRequestBytes: wholeNumber('max-request-bytes', flags.maxRequestBytes),
    maxTxnOps: wholeNumber('max-txn-ops', flags.maxTxnOps),
    listenMetricsUrls: flags.listenMetricsUrls === undefined ? [] : parseUrls('listen-metrics-urls', flags.listenMetricsUrls),
    unsafeStaleLinearizableReads: flags.unsafeStaleLinearizableReads === true,
  };
  checkMemberConfig(config);
  return config;
}

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run one member of a Trellis cluster, speaking the etcd v3 API (flags as etcd\'s)')
    .option('--name <name>', 'human-readable name for this member', memberDefaults.name)
    .option('--data-dir <path>', 'path to the data directory (default: <name>.trellis)')
    .option('--listen-client-urls <urls>', 'URL to listen on for client traffic', memberDefaults.listenClientUrls)
    .option('--advertise-client-urls <urls>', 'client URL of this member to advertise to the cluster (default: --listen-client-urls)')
    .option('--listen-peer-urls <urls>', 'URL to listen on for peer traffic', memberDefaults.listenPeerUrls)
    .option('--initial-advertise-peer-urls <urls>', 'this member\'s peer URL to advertise to the cluster (default: --listen-peer-urls)')
    .option('--initial-cluster <list>', 'initial cluster configuration, name=peerURL,... (default: this member alone)')
    .option('--initial-cluster-state <state>', 'new (bootstrap a cluster) or existing (join one)', memberDefaults.initialClusterState)
    .option('--initial-cluster-token <token>', 'initial cluster token, so clusters built from the same flags get different ids', memberDefaults.initialClusterToken)
    .option('--heartbeat-interval <ms>', 'time of a heartbeat interval', String(memberDefaults.heartbeatIntervalMs))
    .option('--election-timeout <ms>', 'time of an election timeout', String(memberDefaults.electionTimeoutMs))
    .option('--snapshot-count <n>', 'applied entries between snapshots of the state machine', String(memberDefaults.snapshotCount))
    .option('--quota-backend-bytes <bytes>', 'raise the NOSPACE alarm when the store exceeds this size', String(memberDefaults.quotaBackendBytes))
    .option('--max-request-bytes <bytes>', 'largest client request accepted', String(memberDefaults.maxRequestBytes))
    .option('--max-txn-ops <n>', 'most operations in one transaction', String(memberDefaults.maxTxnOps))
    .option('--listen-metrics-urls <urls>', 'serve /metrics, /health and /version over HTTP here')
    .option('--log-level <level>', 'debug, info, warn or error', 'warn')
    .addOption(new Option('--unsafe-stale-linearizable-reads', 'TEST ONLY: serve linearizable reads without ReadIndex').hideHelp())
    .action(async (flags: ServerFlags) => {
      let config: MemberConfig;
      try {
        config = memberConfigFromFlags(flags);
      } catch (error) {
        if (error instanceof ConfigError) throw new Error(error.message);
        throw error;
      }
      if (!['debug', 'info', 'warn', 'error'].includes(flags.logLevel)) throw new Error(`--log-level must be debug, info, warn or error, got "${flags.logLevel}"`);
      const logger = pino({ level: flags.logLevel, base: { name: config.name } }, pino.destination(2)) as unknown as Logger;
      // Loaded here, not at the top: the rest of the command line starts without the whole server.
      const { startMember } = await import('../runtime/node/member-host.js');
      let member;
      try {
        member = await startMember(config, logger);
      } catch (error) {
        if (error instanceof ConfigError) throw new Error(error.message);
        throw error;
      }
      process.stderr.write(`trellis: member ${config.name} serving clients on ${member.clientEndpoint} (data in ${config.dataDir})\n`);
      const { HeapGrowthBound } = await import('../runtime/node/heap-growth.js');
      new HeapGrowthBound().start((why) => logger.warn({ why }, 'heap growth left to V8'));
      let stopping = false;
      const stop = (why: string, code: number): void => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`trellis: member ${config.name} stopping: ${why}\n`);
        member.close().then(() => process.exit(code), (error: unknown) => {
          process.stderr.write(`trellis: error while stopping: ${String(error)}\n`);
          process.exit(1);
        });
      };
      process.on('SIGINT', () => stop('interrupted', 0));
      process.on('SIGTERM', () => stop('terminated', 0));
      // A short grace, so the answer to the request that removed this member (it may have led) still goes out.
      member.node.onRemoved(() => setTimeout(() => stop('the member has been permanently removed from the cluster', 0), 500));
      // Its removal may have been replayed from the log before the listener was in place.
      if (member.node.isRemoved) stop('the member has been permanently removed from the cluster', 0);
      member.node.raft.onStop((reason) => stop(reason, reason === 'shutting down' ? 0 : 1));
      await new Promise<never>(() => {});
    });
}
