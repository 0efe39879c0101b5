// The leader's side of log replication: one Progress per follower, and the
// rules for what to send each one next. Appends stream within the Request
// Pipeline window; a follower behind the leader's first index gets the
// snapshot in chunks instead; heartbeats carry the commit index (capped at
// what each follower holds) and the newest ReadIndex round.

import { type LogIndex, type NodeId, type Term, logIndex, term as toTerm } from '../ids.js';
import type { RaftMessage, SnapshotChunkMessage } from './messages.js';
import type { ResolvedRaftOptions } from './options.js';
import { Progress } from './progress.js';
import type { RaftLog } from './raft-log.js';
import type { Entry, Snapshot } from './types.js';

const noEntries: readonly Entry[] = [];
/** Snapshot chunks a follower may have unacknowledged at once. */
const maxInflightSnapshotChunks = 4;

export class Replicator {
  readonly progress = new Map<NodeId, Progress>();

  constructor(
    private readonly log: RaftLog,
    private readonly options: ResolvedRaftOptions,
    private readonly term: () => Term,
    private readonly localSnapshot: () => Snapshot | null,
    private readonly send: (to: NodeId, message: RaftMessage) => void,
  ) {}

  clear(): void {
    this.progress.clear();
  }

  /** Tracks exactly `peers`; a new one starts probing just past our last entry and counts as recently active. */
  track(peers: readonly NodeId[]): void {
    for (const node of peers) {
      if (this.progress.has(node)) continue;
      const progress = new Progress(logIndex(this.log.lastIndex() + 1), this.options.maxInflightAppends);
      progress.recentActive = true;
      this.progress.set(node, progress);
    }
    for (const node of [...this.progress.keys()]) if (!peers.includes(node)) this.progress.delete(node);
  }

  /** Sends every follower what it lacks, or (when it lacks nothing) an empty append carrying the commit index. */
  broadcastAppends(): void {
    for (const [peer, progress] of this.progress) {
      if (!this.sendAppendsUntilPaused(peer, progress)) this.sendAppend(peer, progress, true);
    }
  }

  /** Streams appends to a follower until its window is full or it has everything. Returns whether anything was sent. */
  sendAppendsUntilPaused(peer: NodeId, progress: Progress): boolean {
    let sent = false;
    while (progress.next <= this.log.lastIndex() && this.sendAppend(peer, progress, false)) sent = true;
    return sent;
  }

  sendAppend(peer: NodeId, progress: Progress, sendIfEmpty: boolean): boolean {
    if (progress.isPaused()) return false;
    const prevIndex = logIndex(progress.next - 1);
    const prevTerm = this.log.termAt(prevIndex);
    if (prevTerm === -1) return this.startSnapshot(peer, progress);
    const last = this.log.lastIndex();
    const entries = progress.next <= last
      ? this.log.slice(progress.next, last, this.options.maxEntriesPerAppend, this.options.maxBytesPerAppend)
      : noEntries;
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send(peer, { type: 'append', term: this.term(), prevIndex, prevTerm: toTerm(prevTerm), entries, commit: this.log.commitIndex() });
    progress.sentEntries(logIndex(prevIndex + entries.length), entries.length);
    return true;
  }

  broadcastHeartbeat(context: number): void {
    const commit = this.log.commitIndex();
    const term = this.term();
    for (const [peer, progress] of this.progress) {
      // The follower may not hold our log up to our commit index yet; never tell it to commit what it may not have.
      this.send(peer, { type: 'heartbeat', term, commit: logIndex(Math.min(progress.match, commit)), context });
      if (context === 0) {
        progress.probeSent = false;
        if (progress.state === 'snapshot') this.resendStalledSnapshot(peer, progress);
      }
    }
  }

  /**
   * A heartbeat answer from a follower still behind us. An append may have
   * been lost: in probe state send the next probe; with a full window send an
   * empty append at the window's end, which the follower acknowledges (freeing
   * the window) or rejects (sending us back to probing).
   */
  resumeLagging(peer: NodeId, progress: Progress): void {
    if (progress.state === 'replicate' && progress.inflight.isFull()) {
      const prevIndex = logIndex(progress.next - 1);
      const prevTerm = this.log.termAt(prevIndex);
      if (prevTerm !== -1) {
        this.send(peer, { type: 'append', term: this.term(), prevIndex, prevTerm: toTerm(prevTerm), entries: noEntries, commit: this.log.commitIndex() });
        return;
      }
      // The window's entries were released by a snapshot while they were in flight (the follower was down):
      // only a probe can find where it stands now, and sendAppend starts a snapshot if it is behind the log.
      progress.becomeProbe();
      this.sendAppend(peer, progress, true);
      return;
    }
    // Even with nothing new to send: an empty append either confirms the follower's match or is rejected, starting the back-off.
    this.sendAppend(peer, progress, true);
  }

  /** The follower holds our log up to `index`. Returns false for a stale acknowledgement. */
  acknowledged(progress: Progress, index: LogIndex): boolean {
    const advanced = progress.acknowledged(index);
    // An acknowledgement that only confirms the match we already knew still ends a probe or a
    // snapshot transfer: without this a follower that installed the snapshot at its current
    // match index would be sent the snapshot again forever (swarm seed 10251).
    const confirmsMatch = index === progress.match;
    if (progress.state === 'probe' && (advanced || confirmsMatch)) {
      progress.becomeReplicate();
      return true;
    }
    if (progress.state === 'snapshot' && progress.match >= progress.snapshotIndex) {
      progress.becomeReplicate();
      return true;
    }
    return advanced;
  }

  /** After an acknowledgement: fill the window again; a follower we had paused gets at least the commit index. */
  continueAfterAck(peer: NodeId, progress: Progress, wasPaused: boolean): void {
    const sent = this.sendAppendsUntilPaused(peer, progress);
    if (!sent && wasPaused) this.sendAppend(peer, progress, true);
  }

  rejected(peer: NodeId, progress: Progress, rejectedPrev: LogIndex, hintIndex: LogIndex, hintTerm: Term): void {
    if (progress.state === 'snapshot') return;
    // Fast back-off: skip every entry of ours whose term exceeds the follower's term at its hint.
    let nextGuess = hintIndex + 1;
    if (hintTerm > 0) nextGuess = this.log.findConflictByTerm(hintIndex, hintTerm).index + 1;
    if (progress.rejected(rejectedPrev, nextGuess)) this.sendAppend(peer, progress, true);
  }

  snapshotAcknowledged(peer: NodeId, progress: Progress, snapshotIndex: LogIndex, receivedBytes: number): void {
    if (progress.state !== 'snapshot' || snapshotIndex !== progress.snapshotIndex) return;
    // Fewer bytes than acknowledged before: the follower lost the partial snapshot (it restarted); resend from there.
    if (receivedBytes < progress.snapshotAckedBytes) progress.snapshotSentBytes = receivedBytes;
    progress.snapshotAckedBytes = receivedBytes;
    this.sendSnapshotChunks(peer, progress);
  }

  private startSnapshot(peer: NodeId, progress: Progress): boolean {
    const snapshot = this.localSnapshot();
    // Without the data (a restart that did not hand it back) the follower waits until the next snapshot is taken.
    if (snapshot === null || snapshot.meta.index < progress.next - 1) return false;
    progress.becomeSnapshot(snapshot.meta.index);
    return this.sendSnapshotChunks(peer, progress);
  }

  private sendSnapshotChunks(peer: NodeId, progress: Progress): boolean {
    const snapshot = this.localSnapshot();
    if (snapshot === null || snapshot.meta.index !== progress.snapshotIndex) {
      progress.becomeProbe();
      return false;
    }
    const total = snapshot.data.byteLength;
    const chunkBytes = this.options.snapshotChunkBytes;
    let sent = false;
    while (progress.snapshotSentBytes - progress.snapshotAckedBytes < maxInflightSnapshotChunks * chunkBytes) {
      const offset = progress.snapshotSentBytes;
      // An empty snapshot still needs its one (empty) chunk.
      if (offset >= total && !(total === 0 && !progress.probeSent)) break;
      const end = Math.min(offset + chunkBytes, total);
      const data = snapshot.data.read(offset, end - offset);
      if (data === null || data.length !== end - offset) {
        // The snapshot can no longer be read (superseded, or the disk failed): probing again finds the newest.
        progress.becomeProbe();
        return sent;
      }
      const message: SnapshotChunkMessage = {
        type: 'snapshot', term: this.term(), meta: snapshot.meta, totalBytes: total, checksum: snapshot.data.checksum, offset, data,
      };
      this.send(peer, message);
      progress.snapshotSentBytes = end;
      progress.probeSent = true;
      sent = true;
      if (end === total) break;
    }
    return sent;
  }

  private resendStalledSnapshot(peer: NodeId, progress: Progress): void {
    // A lost chunk stalls the transfer; resume from the last acknowledged byte once per heartbeat interval.
    progress.snapshotSentBytes = progress.snapshotAckedBytes;
    progress.probeSent = false;
    this.sendSnapshotChunks(peer, progress);
  }
}
