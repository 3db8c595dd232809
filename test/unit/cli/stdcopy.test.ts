import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, PassThrough } from 'node:stream';
import { FrameDecoder, demultiplex, encodeFrame } from '../../../src/cli/stdcopy.js';

test('frames split at any byte boundary reach the right stream', () => {
  const wire = Buffer.concat([encodeFrame(1, 'hello '), encodeFrame(2, 'oops\n'), encodeFrame(1, 'world\n'), encodeFrame(1, '')]);
  for (let step = 1; step <= wire.length; step++) {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const d = new FrameDecoder((b) => out.push(Buffer.from(b)), (b) => err.push(Buffer.from(b)));
    for (let i = 0; i < wire.length; i += step) d.push(wire.subarray(i, i + step));
    d.finish();
    assert.equal(Buffer.concat(out).toString(), 'hello world\n', `step ${step}`);
    assert.equal(Buffer.concat(err).toString(), 'oops\n', `step ${step}`);
  }
});

test('the header length is a big-endian uint32 and payloads may be binary', () => {
  const payload = Buffer.alloc(70_000, 0xab);
  const frame = encodeFrame(2, payload);
  assert.deepEqual([...frame.subarray(0, 8)], [2, 0, 0, 0, 0x00, 0x01, 0x11, 0x70]);
  const err: Buffer[] = [];
  const d = new FrameDecoder(() => assert.fail('nothing on stdout'), (b) => err.push(Buffer.from(b)));
  d.push(frame);
  assert.equal(Buffer.concat(err).length, 70_000);
});

test('an unknown stream byte is an error, and a systemerr frame fails the stream at its end', () => {
  const d = new FrameDecoder(() => {}, () => {});
  assert.throws(() => d.push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])), /Unrecognized input header: 9/);
  const e = new FrameDecoder(() => {}, () => {});
  e.push(encodeFrame(3, 'container gone'));
  assert.throws(() => e.finish(), /error from daemon in stream: container gone/);
});

test('demultiplex copies a readable into two writables', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: string[] = [];
  const errChunks: string[] = [];
  out.on('data', (c) => chunks.push(String(c)));
  err.on('data', (c) => errChunks.push(String(c)));
  await demultiplex(Readable.from([encodeFrame(1, 'a'), encodeFrame(2, 'b'), encodeFrame(1, 'c')]), out, err);
  assert.equal(chunks.join(''), 'ac');
  assert.equal(errChunks.join(''), 'b');
});
