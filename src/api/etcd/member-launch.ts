// How to launch one member of an etcd-style cluster, Trellis's or etcd's:
// the fields both take under etcd's flag names. The benchmark and the fault
// tests start clusters from these, so one spec fits both harnesses.

/** The settings every member of a run gets, the same for both systems. */
export interface ClusterSettings {
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly snapshotCount: number;
  readonly quotaBackendBytes: number;
  readonly maxRequestBytes: number;
}

export interface MemberLaunch extends ClusterSettings {
  readonly name: string;
  readonly dataDir: string;
  /** Listened on and advertised to clients. */
  readonly clientUrl: string;
  /** Where the member itself listens for peers. */
  readonly peerListenUrl: string;
  /** What peers dial: a proxy in front of the member, or the member itself. */
  readonly peerAdvertiseUrl: string;
  readonly initialCluster: readonly { readonly name: string; readonly peerUrl: string }[];
  readonly clusterState: 'new' | 'existing';
  readonly clusterToken: string;
}

/** The flags both systems take, with etcd's names. */
export function etcdStyleFlags(member: MemberLaunch): string[] {
  return [
    '--name', member.name,
    '--data-dir', member.dataDir,
    '--listen-client-urls', member.clientUrl,
    '--advertise-client-urls', member.clientUrl,
    '--listen-peer-urls', member.peerListenUrl,
    '--initial-advertise-peer-urls', member.peerAdvertiseUrl,
    '--initial-cluster', member.initialCluster.map((m) => `${m.name}=${m.peerUrl}`).join(','),
    '--initial-cluster-state', member.clusterState,
    '--initial-cluster-token', member.clusterToken,
    '--heartbeat-interval', String(member.heartbeatMs),
    '--election-timeout', String(member.electionMs),
    '--snapshot-count', String(member.snapshotCount),
    '--quota-backend-bytes', String(member.quotaBackendBytes),
    '--max-request-bytes', String(member.maxRequestBytes),
  ];
}
