import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRows, TabWriter, TemplateError } from '../../../src/cli/template/index.js';
import { psHeader, tableCases } from './table-cases.js';

for (const c of tableCases) {
  test(`table: ${c.name}`, () => {
    let out: string;
    if (c.tw) {
      const w = new TabWriter(c.tw.Min, c.tw.Tab, c.tw.Pad, c.tw.Char, c.tw.Flags);
      w.write(c.tw.Text);
      w.flush();
      out = w.result();
      assert.equal(out, c.out);
      return;
    }
    try {
      out = formatRows({ format: c.format!, header: psHeader, rows: c.rows! });
    } catch (e) {
      assert.ok(e instanceof TemplateError);
      assert.equal(e.message, c.err);
      return;
    }
    assert.equal(c.err, undefined);
    assert.equal(out, c.out);
  });
}

test('table: bare "table" uses the command default format', () => {
  const out = formatRows({
    format: 'table',
    defaultTableFormat: 'table {{.ID}}\\t{{.Names}}',
    header: psHeader,
    rows: [{ ID: 'abc', Names: 'web' }],
  });
  assert.equal(out, 'CONTAINER ID   NAMES\nabc            web\n');
});

test('tabwriter: writes in pieces give the same result as one write', () => {
  const text = 'NAME\tIMAGE\nweb\tnginx:latest\ndb\tpostgres\n';
  const whole = new TabWriter(10, 1, 3, ' ', 0);
  whole.write(text);
  whole.flush();
  const pieces = new TabWriter(10, 1, 3, ' ', 0);
  for (const ch of text) pieces.write(ch);
  pieces.flush();
  assert.equal(pieces.result(), whole.result());
  assert.equal(whole.result(), 'NAME      IMAGE\nweb       nginx:latest\ndb        postgres\n');
});

test('tabwriter: East Asian wide characters count two columns, as docker measures them', () => {
  const w = new TabWriter(0, 1, 1, ' ', 0);
  w.write('世界\tx\nab\ty\n');
  w.flush();
  assert.equal(w.result(), '世界 x\nab   y\n');
});

test('tabwriter: a sink receives the output as it is produced', () => {
  const chunks: string[] = [];
  const w = new TabWriter(0, 8, 1, ' ', 0, (s) => chunks.push(s));
  w.write('a\tb\n');
  w.flush();
  assert.equal(chunks.join(''), 'a b\n');
});
