// Messages between LayerStore.register (apply-in-worker.ts) and layer-apply workers
// (apply-worker.ts). One job at a time per worker.
// - An `apply` job reads its input from a file (reporting `progress`) or as `chunk`s and then `end`
//   (or `fail`) on a port (from the daemon itself when there is none), answering each chunk with
//   a `credit` for its bytes there, and tells the daemon `done` or `error`.
// - A `download` job fetches a registry blob, checks its digest and sends the bytes the same way
//   to an apply job's port, or writes them to a file; it asks the daemon for each request's URL
//   and credentials (`auth`, answered by `auth`), reports byte counts (`progress`) and then `done`
//   or `error`. A `fail` from the daemon cancels it.
import type { MessagePort } from 'node:worker_threads';
import type { IdMap } from '../../userns/id-mapping.js';

export interface ApplyJob {
  type: 'apply';
  dir: string;
  whiteouts: 'overlay' | 'naive';
  expectedDiffId?: string;
  /** Where the worker records the layer's tar-split (finished on success, removed on failure). */
  tarSplitPath?: string;
  /** A file that receives the input's bytes as they arrive. */
  keepInputAt?: string;
  idMap?: { uidMaps: IdMap[]; gidMaps: IdMap[] };
  /** Where the input comes from: these messages or this file; the daemon's own messages when absent. */
  from?: { port: MessagePort } | { file: string };
}

export interface DownloadJob {
  type: 'download';
  repo: string;
  digest: string;
  size: number;
  /** Where the bytes go: an apply job's port, or a file (complete once the job is done). */
  to: { port: MessagePort } | { file: string };
}

/** Where and how the next request for a blob goes. */
export interface BlobAuth {
  url: string;
  headers: Record<string, string>;
  insecureTls: boolean;
}

/** The input of an apply job, and its flow control. */
export type ChunkMessage = { type: 'chunk'; data: Uint8Array } | { type: 'end' } | { type: 'fail'; message: string } | { type: 'credit'; bytes: number };

export type ToWorker = ApplyJob | DownloadJob | ChunkMessage | ({ type: 'auth' } & BlobAuth);

export interface SerializedError {
  /** BerthError kind, or undefined for any other error. */
  kind?: string;
  name: string;
  message: string;
  code?: string;
}

export type FromWorker =
  | ChunkMessage
  | { type: 'auth'; renew: boolean }
  | { type: 'progress'; bytes: number }
  | { type: 'done'; diffId: string; size: number }
  | { type: 'error'; error: SerializedError };
