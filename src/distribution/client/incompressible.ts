// Whether a chunk is worth deflating: samples spread over it are deflated at the fastest level,
// and only when none of them shrinks by a tenth is the chunk called incompressible. A sample is
// longer than deflate's 32 KiB window, so repeats that deflate could use show up in it. Sampling
// a 2 MiB chunk costs ~3 ms; deflating an incompressible one costs ~35 ms for nothing.
import { deflateRawSync } from 'node:zlib';

const SAMPLES = 4;
const SAMPLE_BYTES = 48 << 10;
/** A sample that deflates to less than this share of its size makes the chunk compressible. */
const SHRINKS = 0.9;

export function incompressible(data: Uint8Array): boolean {
  // Too small to sample meaningfully, and cheap to deflate anyway.
  if (data.length < SAMPLES * SAMPLE_BYTES * 2) return false;
  const stride = Math.floor((data.length - SAMPLE_BYTES) / (SAMPLES - 1));
  for (let i = 0; i < SAMPLES; i++) {
    const sample = data.subarray(i * stride, i * stride + SAMPLE_BYTES);
    if (deflateRawSync(sample, { level: 1 }).length < sample.length * SHRINKS) return false;
  }
  return true;
}
