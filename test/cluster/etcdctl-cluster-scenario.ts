// etcdctl 3.4 against a three-member cluster: the commands whose answers
// depend on there being several members (member add/promote/remove, endpoint
// status/health/hashkv over every endpoint, move-leader), plus the basics
// through all endpoints at once. The same steps record the reference from a
// real etcd cluster and check Trellis. Member ids are replaced by the
// member's name; which member leads, and the order of lines etcdctl prints
// as answers arrive, are not part of the contract and are normalised away.

import { join } from 'node:path';
import type { Step, Vars } from '../api/etcdctl-scenario.js';

const sortLines = (output: string): string => {
  if (!output.includes('\n[stderr]\n')) return output;
  const [body, tail] = output.split('\n[stderr]\n');
  return `${body!.split('\n').filter((line) => line !== '').sort().join('\n')}\n[stderr]\n${tail}`;
};

const sortClusterList = (output: string): string =>
  output.replace(/ETCD_INITIAL_CLUSTER="([^"]*)"/, (_all, list: string) => `ETCD_INITIAL_CLUSTER="${list.split(',').sort().join(',')}"`);

/** Every member id (and the cluster id) printed by `member list -w json` becomes a name; ids are read as text, being 64-bit. */
function captureMembers(stdout: string, vars: Vars): void {
  const cluster = /"cluster_id":(\d+)/.exec(stdout)?.[1];
  if (cluster !== undefined) vars.extra.set('cluster', BigInt(cluster).toString(16));
  for (const match of stdout.matchAll(/"ID":(\d+),"name":"([^"]*)"/g)) vars.extra.set(`id-${match[2]}`, BigInt(match[1]!).toString(16));
}

/** One follower's id, from `endpoint status -w json`, for move-leader. */
function captureLeader(stdout: string, vars: Vars): void {
  const leader = /"leader":(\d+)/.exec(stdout)?.[1];
  const follower = [...stdout.matchAll(/"member_id":(\d+)/g)].map((m) => m[1]!).find((id) => id !== leader);
  vars.extra.set('_follower', follower === undefined ? 'none' : BigInt(follower).toString(16));
}

/** Which member leads differs from run to run: the IS LEADER column, and leader ids, say only that one does. */
const anyLeader = (output: string): string => output.replace(/<id-n\d>/g, '<member>');

/**
 * A membership change is answered once the member that took it has applied
 * it; another member may not have yet (etcd 3.4 serves member list from what
 * the member has applied, as Trellis does). etcdctl spreads requests over its
 * endpoints, so the steps that change members and list them again all go to
 * one member, on etcd and on Trellis alike.
 */
const oneMember = (v: { extra: Map<string, string> }): string => v.extra.get('_first-endpoint') ?? '';

export function clusterSteps(spareUrl: () => string): Step[] {
  return [
    { title: 'put through every endpoint', args: ['put', 'boston', '10'] },
    { title: 'put philadelphia', args: ['put', 'philadelphia', '7'] },
    { title: 'get as json', args: ['get', '', '--prefix', '-w', 'json'] },
    { title: 'get serializable', args: ['get', 'boston', '--consistency=s'] },
    { title: 'txn', args: ['txn'], stdin: 'value("boston") = "10"\n\nput boston 11\n\nget philadelphia\n\n' },
    { title: 'watch history with prev-kv', args: ['watch', 'b', '--prefix', '--rev=1', '--prev-kv'], sentinel: { key: 'bristol', value: 'end', before: true } },
    {
      title: 'lease grant',
      args: ['lease', 'grant', '600'],
      capture: (stdout, vars) => {
        vars.lease = /lease ([0-9a-f]+) granted/.exec(stdout)?.[1] ?? 'none';
      },
    },
    { title: 'put with a lease', args: (v) => ['put', '--lease=' + v.lease, 'pune', '6'] },
    { title: 'lease timetolive with keys', args: (v) => ['lease', 'timetolive', '--keys', v.lease] },
    { title: 'lease keep-alive once', args: (v) => ['lease', 'keep-alive', '--once', v.lease] },
    { title: 'lease revoke', args: (v) => ['lease', 'revoke', v.lease] },
    { title: 'member list as json', args: ['member', 'list', '-w', 'json'], capture: captureMembers, normalise: (o) => o.replace(/"members":\[.*\]/, '"members":[<sorted by id>]') },
    { title: 'member list', args: ['member', 'list'], normalise: sortLines },
    { title: 'member list as table', args: ['member', 'list', '-w', 'table'], normalise: sortLines },
    {
      title: 'member add a learner',
      args: () => ['member', 'add', 'n4', `--peer-urls=${spareUrl()}`, '--learner'],
      capture: (stdout, vars) => vars.extra.set('id-n4', /Member\s+([0-9a-f]+) added/.exec(stdout)?.[1] ?? 'none'),
      normalise: sortClusterList,
      endpoint: oneMember,
    },
    { title: 'member list with an unstarted learner', args: ['member', 'list'], normalise: sortLines, endpoint: oneMember },
    { title: 'member promote of a learner that is not in sync', args: (v) => ['member', 'promote', v.extra.get('id-n4') ?? 'none'], endpoint: oneMember },
    { title: 'member remove the learner', args: (v) => ['member', 'remove', v.extra.get('id-n4') ?? 'none'], endpoint: oneMember },
    { title: 'member remove of an unknown member', args: ['member', 'remove', '1234'] },
    { title: 'member list after', args: ['member', 'list'], normalise: sortLines, endpoint: oneMember },
    { title: 'endpoint status as json', args: ['endpoint', 'status', '-w', 'json'], capture: captureLeader, normalise: (o) => o.replace(/"leader":<n>/g, '"leader":<n>') },
    { title: 'endpoint status as table', args: ['endpoint', 'status', '-w', 'table'], normalise: (o) => o.replace(/\| (true|false) \| false \| \d+ \| \d+ \| \d+ \|/g, '| <leader?> | false | <term> | <index> | <applied> |') },
    { title: 'endpoint status of the whole cluster', args: ['endpoint', 'status', '--cluster'], normalise: (o) => sortLines(o.replace(/, (true|false), false, \d+, \d+, \d+, /g, ', <leader?>, false, <term>, <index>, <applied>, ')) },
    { title: 'endpoint health', args: ['endpoint', 'health'], normalise: sortLines },
    { title: 'endpoint hashkv', args: ['endpoint', 'hashkv'] },
    { title: 'move-leader to a follower', args: (v) => ['move-leader', v.extra.get('_follower') ?? 'none'], normalise: anyLeader },
    { title: 'compaction', args: ['compaction', '3'] },
    { title: 'get a compacted revision', args: ['get', 'boston', '--rev=2'] },
    { title: 'snapshot save from one member', args: (v) => ['snapshot', 'save', join(v.workDir, 'snapshot.db')], endpoint: (v) => v.extra.get('_first-endpoint') ?? '' },
    { title: 'alarm list', args: ['alarm', 'list'] },
    { title: 'defrag every member', args: ['defrag'], normalise: sortLines },
  ];
}
