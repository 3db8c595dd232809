// Messages between LayerStore.register (apply-in-worker.ts) and a layer-apply worker
// (apply-worker.ts). One job at a time per worker: `job`, then `chunk`s and `end` (or `fail`)
// from the daemon; `credit` for the bytes of each chunk taken, then `done` or `error` from the worker.
import type { IdMap } from '../../userns/id-mapping.js';

export interface ApplyJob {
  type: 'job';
  dir: string;
  whiteouts: 'overlay' | 'naive';
  expectedDiffId?: string;
  /** Where the worker records the layer's tar-split (finished on success, removed on failure). */
  tarSplitPath?: string;
  /** A file that receives the input's bytes as they arrive. */
  keepInputAt?: string;
  idMap?: { uidMaps: IdMap[]; gidMaps: IdMap[] };
}

export type ToWorker = ApplyJob | { type: 'chunk'; data: Uint8Array } | { type: 'end' } | { type: 'fail'; message: string };

export interface SerializedError {
  /** BerthError kind, or undefined for any other error. */
  kind?: string;
  name: string;
  message: string;
  code?: string;
}

export type FromWorker = { type: 'credit'; bytes: number } | { type: 'done'; diffId: string; size: number } | { type: 'error'; error: SerializedError };
