import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLASS_IN, DnsFormatError, RCODE, TYPE, TcpFrameReader, decode, encode, encodeForUdp, frameTcp, type Message } from '../../../src/network/dns/message.js';

const flags = { qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: true, rcode: RCODE.NOERROR };

function answer(name: string, ...ips: string[]): Message {
  return {
    id: 0x1234,
    flags,
    questions: [{ name, type: TYPE.A, class: CLASS_IN }],
    answers: ips.map((ip) => ({ name, type: TYPE.A, class: CLASS_IN, ttl: 600, data: ip })),
    authorities: [],
    additionals: [],
  };
}

test('a query written by hand (as busybox nslookup sends it) decodes', () => {
  // id 0xabcd, RD, one question: web.example IN A
  const q = Buffer.from('abcd01000001000000000000' + '03776562076578616d706c6500' + '00010001', 'hex');
  const m = decode(q);
  assert.equal(m.id, 0xabcd);
  assert.equal(m.flags.rd, true);
  assert.equal(m.flags.qr, false);
  assert.deepEqual(m.questions, [{ name: 'web.example', type: TYPE.A, class: CLASS_IN }]);
});

test('names repeated in answers are compressed to a pointer at the question', () => {
  const m = answer('db.mynet', '10.0.0.2', '10.0.0.3');
  const wire = encode(m);
  // header 12 + question (1+2 + 1+5 + 1 = 10 name bytes, 4) = 26; each answer: 2 (pointer) + 10 + 4 = 16
  assert.equal(wire.length, 12 + 10 + 4 + 2 * 16);
  assert.equal(wire.readUInt16BE(26), 0xc000 | 12, 'the answer name points at the question name');
  assert.deepEqual(decode(wire), m);
});

test('a suffix shared with an earlier name is compressed too (PTR data)', () => {
  const m: Message = {
    id: 7,
    flags,
    questions: [{ name: '2.0.18.172.in-addr.arpa', type: TYPE.PTR, class: CLASS_IN }],
    answers: [{ name: '2.0.18.172.in-addr.arpa', type: TYPE.PTR, class: CLASS_IN, ttl: 600, data: 'web.mynet' }],
    authorities: [],
    additionals: [{ name: 'x.in-addr.arpa', type: TYPE.CNAME, class: CLASS_IN, ttl: 1, data: 'web.mynet' }],
  };
  const wire = encode(m);
  assert.deepEqual(decode(wire), m);
  // `x.in-addr.arpa` is one label plus a pointer; `web.mynet` the second time is a bare pointer.
  const plain = 12 + 25 + 4 + (2 + 10 + 11) + (2 + 10 + 11);
  assert.ok(wire.length < plain, `${wire.length} bytes, uncompressed would be more than ${plain}`);
});

test('AAAA addresses round-trip and print in RFC 5952 form', () => {
  const m: Message = { ...answer('v6.net'), answers: [{ name: 'v6.net', type: TYPE.AAAA, class: CLASS_IN, ttl: 5, data: 'fd00:1::2' }] };
  const wire = encode(m);
  assert.equal(decode(wire).answers[0]!.data, 'fd00:1::2');
  const full = { ...m, answers: [{ ...m.answers[0]!, data: '2001:db8:0:1:1:1:1:1' }] };
  assert.equal(decode(encode(full)).answers[0]!.data, '2001:db8:0:1:1:1:1:1');
});

test('unknown record types keep their raw data', () => {
  const txt = Buffer.from('\x05hello', 'latin1');
  const m: Message = { ...answer('t.net'), answers: [{ name: 't.net', type: TYPE.TXT, class: CLASS_IN, ttl: 1, data: txt }] };
  assert.deepEqual(decode(encode(m)).answers[0]!.data, txt);
});

test('over UDP an answer longer than 512 bytes is cut to the question with TC set', () => {
  const ips = Array.from({ length: 40 }, (_, i) => `10.1.${i}.2`);
  const m = answer('many.mynet', ...ips);
  assert.ok(encode(m).length > 512);
  const udp = encodeForUdp(m);
  assert.ok(udp.length <= 512);
  const back = decode(udp);
  assert.equal(back.flags.tc, true);
  assert.equal(back.answers.length, 0);
  assert.deepEqual(back.questions, m.questions);
  // A short one goes through whole.
  assert.equal(decode(encodeForUdp(answer('one.mynet', '10.0.0.9'))).flags.tc, false);
});

test('TCP frames carry a two-byte length and are reassembled across chunk boundaries', () => {
  const a = encode(answer('a.net', '10.0.0.1'));
  const b = encode(answer('b.net', '10.0.0.2'));
  const stream = Buffer.concat([frameTcp(a), frameTcp(b)]);
  assert.equal(stream.readUInt16BE(0), a.length);
  const r = new TcpFrameReader();
  const got: Buffer[] = [];
  // Byte by byte: no message may come out early or twice.
  for (let i = 0; i < stream.length; i++) got.push(...r.push(stream.subarray(i, i + 1)));
  assert.deepEqual(got, [a, b]);
  assert.deepEqual(new TcpFrameReader().push(stream), [a, b]);
});

test('malformed messages are refused, including a pointer loop', () => {
  assert.throws(() => decode(Buffer.alloc(5)), DnsFormatError);
  const loop = Buffer.from('000100000001000000000000' + 'c00c' + '00010001', 'hex');
  assert.throws(() => decode(loop), /does not point backwards/);
  const cut = Buffer.from('000100000001000000000000' + '0377656200', 'hex').subarray(0, 15);
  assert.throws(() => decode(cut), DnsFormatError);
  assert.throws(() => encode(answer('a'.repeat(64) + '.net', '10.0.0.1')), /invalid label/);
});
