// Byte layouts of what a Raft node keeps on disk: one log entry per WAL record,
// the hard state, and a snapshot with its metadata. Checksums are the WAL's
// and the atomic file's business; these layouts only have to be exact and
// to refuse bytes that are not what they claim to be.

import { assert, fail } from '../assert.js';
import { type LogIndex, type Term, logIndex, nodeId, term } from '../ids.js';
import type { ClusterConfig, Entry, EntryKind, HardState, SnapshotMeta } from '../consensus/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const ENTRY_KINDS: readonly EntryKind[] = ['normal', 'noop', 'config'];
const ENTRY_HEADER_BYTES = 8 + 8 + 1;

/** Every byte is written: the record may come from Node's buffer pool, unzeroed, and lives only until the WAL has copied it. */
export function encodeEntry(entry: Entry): Uint8Array {
  const bytes = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + entry.data.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setFloat64(0, entry.index);
  view.setFloat64(8, entry.term);
  view.setUint8(16, ENTRY_KINDS.indexOf(entry.kind));
  bytes.set(entry.data, ENTRY_HEADER_BYTES);
  return bytes;
}

export function decodeEntry(bytes: Uint8Array): Entry {
  if (!(bytes.length >= ENTRY_HEADER_BYTES)) fail(`log entry record of ${bytes.length} bytes is shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = ENTRY_KINDS[view.getUint8(16)];
  if (kind === undefined) fail(`log entry record has unknown kind ${view.getUint8(16)}`);
  return {
    index: logIndex(view.getFloat64(0)),
    term: term(view.getFloat64(8)),
    kind,
    data: bytes.slice(ENTRY_HEADER_BYTES),
  };
}

export function encodeHardState(state: HardState): Uint8Array {
  return encoder.encode(JSON.stringify({ term: state.term, vote: state.vote, commit: state.commit }));
}

export function decodeHardState(bytes: Uint8Array): HardState {
  const parsed = JSON.parse(decoder.decode(bytes)) as { term: number; vote: string | null; commit: number };
  assert(Number.isSafeInteger(parsed.term) && Number.isSafeInteger(parsed.commit), 'hard state file holds no valid term and commit');
  return { term: term(parsed.term), vote: parsed.vote === null ? null : nodeId(parsed.vote), commit: logIndex(parsed.commit) };
}

interface SnapshotHeader {
  readonly index: number;
  readonly term: number;
  readonly config: { voters: string[]; outgoingVoters: string[]; learners: string[] };
}

/** A snapshot file's head: a 4-byte length, then the JSON metadata. The state machine's bytes follow it in the file. */
export function encodeSnapshotHead(meta: SnapshotMeta): Uint8Array {
  const header: SnapshotHeader = {
    index: meta.index,
    term: meta.term,
    config: {
      voters: [...meta.config.voters],
      outgoingVoters: [...meta.config.outgoingVoters],
      learners: [...meta.config.learners],
    },
  };
  const headerBytes = encoder.encode(JSON.stringify(header));
  const head = new Uint8Array(4 + headerBytes.length);
  new DataView(head.buffer).setUint32(0, headerBytes.length);
  head.set(headerBytes, 4);
  return head;
}

/** Reads the head at the start of `bytes` (which may hold more): the metadata and the head's length, where the state begins. */
export function decodeSnapshotHead(bytes: Uint8Array): { readonly meta: SnapshotMeta; readonly headBytes: number } {
  assert(bytes.length >= 4, 'snapshot file is shorter than its header');
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  assert(4 + headerBytes <= bytes.length, 'snapshot header runs past the end of the file');
  const header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerBytes))) as SnapshotHeader;
  const config: ClusterConfig = {
    voters: header.config.voters.map(nodeId),
    outgoingVoters: header.config.outgoingVoters.map(nodeId),
    learners: header.config.learners.map(nodeId),
  };
  return { meta: { index: logIndex(header.index) as LogIndex, term: term(header.term) as Term, config }, headBytes: 4 + headerBytes };
}
