// `trellis snapshot restore <file>`: the data directory of one member of a NEW
// cluster, built from a snapshot saved with `snapshot save`, under etcdctl's
// flags. Every member of the new cluster is restored from the same file with
// the same --initial-cluster; then each starts with `trellis server` and the
// same flags.

import type { Command } from 'commander';
import { ConfigError, memberDefaults } from '../api/etcd/member-config.js';
import { memberConfigFromFlags } from './server-command.js';

interface RestoreFlags {
  name: string;
  dataDir?: string;
  initialCluster?: string;
  initialClusterToken: string;
  initialAdvertisePeerUrls: string;
}

export function addSnapshotRestore(snapshots: Command): void {
  snapshots
    .command('restore <filename>')
    .description('Restores a snapshot into the data directory of a member of a new cluster')
    .option('--name <name>', 'human-readable name for this member', memberDefaults.name)
    .option('--data-dir <path>', 'path to the data directory (default: <name>.trellis)')
    .option('--initial-cluster <list>', 'initial cluster configuration for restore bootstrap (default: this member alone)')
    .option('--initial-cluster-token <token>', 'initial cluster token for the cluster during restore bootstrap', memberDefaults.initialClusterToken)
    .option('--initial-advertise-peer-urls <urls>', 'list of this member\'s peer URLs to advertise to the rest of the cluster', memberDefaults.initialAdvertisePeerUrls)
    .action(async (file: string, flags: RestoreFlags) => {
      const { restoreSnapshot } = await import('../runtime/node/snapshot-restore.js');
      try {
        const config = memberConfigFromFlags({
          name: flags.name, dataDir: flags.dataDir ?? `${flags.name}.trellis`, listenClientUrls: memberDefaults.listenClientUrls,
          listenPeerUrls: flags.initialAdvertisePeerUrls, initialAdvertisePeerUrls: flags.initialAdvertisePeerUrls,
          ...(flags.initialCluster === undefined ? {} : { initialCluster: flags.initialCluster }),
          initialClusterState: 'new', initialClusterToken: flags.initialClusterToken,
          heartbeatInterval: String(memberDefaults.heartbeatIntervalMs), electionTimeout: String(memberDefaults.electionTimeoutMs),
          snapshotCount: String(memberDefaults.snapshotCount), quotaBackendBytes: String(memberDefaults.quotaBackendBytes),
          maxRequestBytes: String(memberDefaults.maxRequestBytes), maxTxnOps: String(memberDefaults.maxTxnOps), logLevel: 'warn',
        });
        const result = await restoreSnapshot(file, config);
        console.log(`restored snapshot ${file} (revision ${result.revision}, ${result.keys} keys) into ${config.dataDir} as member ${result.memberId.toString(16)} of cluster ${result.clusterId.toString(16)}`);
      } catch (error) {
        if (error instanceof ConfigError) {
          console.error(`Error: ${error.message}`);
          process.exit(1);
        }
        throw error;
      }
    });
}
