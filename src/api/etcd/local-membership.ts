// Membership of a member that runs alone without Raft. It can answer
// everything about itself truthfully, and refuses, with etcd's errors where
// etcd has one, what only a replicated membership change could do.

import type { Member } from './backend.js';
import { EtcdError, etcdMessages } from './etcd-errors.js';

export const maxPeerUrls = 16;

export class LocalMembership {
  private member: Member;

  constructor(self: Member, readonly clusterId: bigint) {
    this.member = self;
  }

  get self(): Member {
    return this.member;
  }

  list(): Member[] {
    return [this.member];
  }

  announceClientUrls(urls: readonly string[]): void {
    this.member = { ...this.member, clientUrls: [...urls] };
  }

  add(_peerUrls: readonly string[], _isLearner: boolean): never {
    // etcd would add an unstarted member and wait for it; without Raft there
    // is no log to carry the change, so say so rather than pretend.
    throw new EtcdError(
      'FailedPrecondition',
      'etcdserver: re-configuration failed: this Trellis member runs alone without Raft (LocalBackend) and cannot add members; start a replicated cluster instead',
    );
  }

  remove(id: bigint): never {
    this.requireSelf(id);
    // etcd refuses to remove the last started voting member: no quorum would remain.
    throw new EtcdError('FailedPrecondition', etcdMessages.notEnoughStartedMembers);
  }

  update(id: bigint, peerUrls: readonly string[]): Member[] {
    this.requireSelf(id);
    if (peerUrls.length === 0 || peerUrls.length > maxPeerUrls) {
      throw EtcdError.invalidArgument(`member update needs between 1 and ${maxPeerUrls} peer URLs, got ${peerUrls.length}`);
    }
    for (const url of peerUrls) checkUrl(url);
    this.member = { ...this.member, peerUrls: [...peerUrls] };
    return this.list();
  }

  promote(id: bigint): never {
    this.requireSelf(id);
    throw new EtcdError('FailedPrecondition', etcdMessages.memberNotLearner);
  }

  private requireSelf(id: bigint): void {
    if (id !== this.member.id) throw new EtcdError('NotFound', etcdMessages.memberNotFound);
  }
}

/** etcd parses peer URLs with Go's url.Parse and wants a scheme and a host. */
export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw EtcdError.invalidArgument(`invalid peer URL ${JSON.stringify(url)}: want scheme://host:port`);
  }
  if (parsed.host === '' || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && parsed.protocol !== 'unix:' && parsed.protocol !== 'unixs:')) {
    throw EtcdError.invalidArgument(`invalid peer URL ${JSON.stringify(url)}: want scheme://host:port`);
  }
}
