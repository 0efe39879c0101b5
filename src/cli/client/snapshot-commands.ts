// snapshot save | status. save streams one member's snapshot into
// <file>.part, checks the SHA-256 that etcd and Trellis both end a snapshot
// with, syncs it to disk and only then renames it into place, so a
// <file> that exists is whole. status reads a saved Trellis snapshot.
// (snapshot restore builds a data directory: it belongs with the server.)

import { createHash } from 'node:crypto';
import { constants } from 'node:buffer';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { decodeSnapshotFile } from '../../api/etcd/snapshot-file.js';
import { hashKv } from '../../kv/kv-hash.js';
import { restoreSnapshot } from '../../kv/kv-snapshot.js';
import { CliError, exitCodes, requestFailed } from './cli-error.js';
import type { ClientContext } from './client-context.js';
import { showSnapshotStatus } from './cluster-display.js';
import type { Wire } from './connection.js';
import { requireFormat } from './output.js';

/** A snapshot is whole 512-byte pages followed by the SHA-256 of those pages (bolt's layout, which Trellis's file follows). */
const pageBytes = 512;
const digestBytes = 32;

/** Hashes everything but the last 32 bytes seen so far, which may turn out to be the digest. */
class TrailingDigest {
  private readonly hash = createHash('sha256');
  private tail = Buffer.alloc(0);
  bytes = 0;

  update(chunk: Buffer): void {
    this.bytes += chunk.length;
    const joined = Buffer.concat([this.tail, chunk]);
    const keep = Math.min(digestBytes, joined.length);
    this.hash.update(joined.subarray(0, joined.length - keep));
    this.tail = joined.subarray(joined.length - keep);
  }

  problem(): string | null {
    if (this.bytes < digestBytes || (this.bytes - digestBytes) % pageBytes !== 0) return `${this.bytes} bytes is not whole ${pageBytes}-byte pages plus a SHA-256`;
    return this.hash.digest().equals(this.tail) ? null : 'its SHA-256 does not match its contents';
  }
}

export async function save(context: ClientContext, args: string[]): Promise<void> {
  if (args.length !== 1) throw new CliError('snapshot save expects one argument', exitCodes.badArgs);
  const { endpoints, commandTimeoutMs, commandTimeoutGiven } = context.settings;
  if (endpoints.length !== 1) throw new CliError(`snapshot must be requested to one selected node, not multiple [${endpoints.map((e) => e.text).join(' ')}]`, exitCodes.interrupted);
  const path = args[0]!;
  const partPath = `${path}.part`;
  const connection = await context.connection();
  // As etcdctl: no overall deadline unless --command-timeout was given (a large snapshot takes long), but here a stalled one still ends.
  const stream = connection.serverStream('Maintenance', 'Snapshot', {}, { timeoutMs: commandTimeoutGiven ? commandTimeoutMs : null });
  let stalled = false;
  let idle = setTimeout(() => ((stalled = true), stream.cancel()), commandTimeoutMs);
  const file = await open(partPath, 'w', 0o600).catch((error: Error) => {
    stream.cancel();
    throw new CliError(`could not create ${partPath}: ${error.message}`, exitCodes.interrupted);
  });
  const digest = new TrailingDigest();
  try {
    try {
      for await (const message of stream as AsyncIterable<Wire>) {
        clearTimeout(idle);
        idle = setTimeout(() => ((stalled = true), stream.cancel()), commandTimeoutMs);
        const blob = Buffer.from(message['blob'] ?? Buffer.alloc(0));
        digest.update(blob);
        await file.write(blob);
      }
    } catch (error) {
      if (stalled) throw new CliError(`snapshot stream from ${connection.endpoint.text} sent nothing for ${commandTimeoutMs} ms`, exitCodes.interrupted);
      throw requestFailed(error, exitCodes.interrupted);
    } finally {
      clearTimeout(idle);
    }
    const problem = digest.problem();
    if (problem !== null) throw new CliError(`snapshot from ${connection.endpoint.text} is damaged: ${problem}`, exitCodes.interrupted);
    await file.sync();
    await file.close();
    await rename(partPath, path);
    // The rename is durable only once the directory holding it is.
    const directory = await open(dirname(resolve(path)), 'r');
    await directory.sync().finally(() => directory.close());
  } catch (error) {
    await file.close().catch(() => {});
    await rm(partPath, { force: true });
    throw error instanceof CliError ? error : new CliError(`could not save the snapshot to ${path}: ${(error as Error).message}`, exitCodes.interrupted);
  }
  context.sink.out(`Snapshot saved at ${path}\n`);
}

export async function status(context: ClientContext, args: string[]): Promise<void> {
  if (args.length !== 1) throw new CliError('snapshot status requires exactly one argument', exitCodes.badArgs);
  requireFormat(context.settings.format, ['simple', 'json', 'table', 'fields']);
  const path = args[0]!;
  let bytes: Buffer;
  try {
    const { size } = await stat(path);
    if (size > constants.MAX_LENGTH) throw new Error(`${size} bytes is more than one process can read at once`);
    bytes = await readFile(path);
  } catch (error) {
    throw new CliError(`cannot read snapshot ${path}: ${(error as Error).message}`);
  }
  try {
    const { store } = restoreSnapshot(decodeSnapshotFile(bytes));
    // The hash is HashKV's over the snapshot's history: the same number `endpoint hashkv` printed for the member it came from.
    context.sink.out(showSnapshotStatus(context.settings.format, { hash: hashKv(store, 0).hash, revision: store.revision, totalKey: store.keyCount, totalSize: bytes.length }));
  } catch (error) {
    throw new CliError(`${path} is not a readable Trellis snapshot: ${(error as Error).message}`);
  }
}
