import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dockerHeaderFuncs, GoFloat, parseDockerTemplate, parseTemplate, renderTemplate, sprintf, TemplateError,
} from '../../../src/cli/template/index.js';

test('renderTemplate includes docker functions', () => {
  assert.equal(renderTemplate('{{join (split . ":") "/"}}', 'text:with:colon'), 'text/with/colon');
  assert.equal(renderTemplate('{{json .Ports}}', { Ports: '0.0.0.0:2->8/udp' }), '"0.0.0.0:2->8/udp"');
  assert.equal(renderTemplate('this is a {{ . }}', 'string'), 'this is a string');
});

// docker/cli templates_test.go TestParseTruncateFunction
for (const [tmpl, want] of [
  ['{{truncate . 5}}', 'tupx5'],
  ['{{truncate . 25}}', 'tupx5xzf6hvsrhnruz5cr8gwp'],
  ['{{truncate . 30}}', 'tupx5xzf6hvsrhnruz5cr8gwp'],
  ['{{pad . 3 3}}', '   tupx5xzf6hvsrhnruz5cr8gwp   '],
] as const) {
  test(`docker ${tmpl}: non-empty, empty and nil sources`, () => {
    const t = parseDockerTemplate(tmpl);
    assert.equal(t.execute('tupx5xzf6hvsrhnruz5cr8gwp'), want);
    assert.equal(t.execute(''), '');
    assert.throws(() => t.execute(null), (e: unknown) => e instanceof TemplateError && e.phase === 'exec' && e.partialOutput === '');
  });
}

// docker/cli TestHeaderFunctions: header variants leave the column title untouched.
for (const tmpl of ['{{ json .}}', '{{ split . ","}}', '{{ join . ","}}', '{{ title .}}', '{{ lower .}}', '{{ upper .}}', '{{ truncate . 2}}']) {
  test(`docker header function ${tmpl}`, () => {
    const t = parseDockerTemplate(tmpl).withFuncs(dockerHeaderFuncs);
    assert.equal(t.execute('hello world'), 'hello world');
  });
}

test('custom functions: plain JS functions take any arguments, GoFuncs are type-checked', () => {
  const t = parseTemplate('{{add 1 2 .N}}|{{rep "ab" 2}}', {
    name: 'f',
    funcs: {
      add: (...xs: unknown[]) => xs.reduce((a: number, b) => a + (b as number), 0),
      rep: { params: ['string', 'int'], fn: (s: string, n: number) => s.repeat(n) },
    },
  });
  assert.equal(t.execute({ N: 4 }), '7|abab');
  const bad = parseTemplate('{{rep 1 2}}', { name: 'f', funcs: { rep: { params: ['string', 'int'], fn: () => '' } } });
  assert.throws(() => bad.execute(null), { message: 'template: f:1:6: executing "f" at <1>: expected string; found 1' });
});

test('a throwing function becomes "error calling NAME"', () => {
  const t = parseTemplate('{{boom}}', { name: 'x', funcs: { boom: () => { throw new Error('kaput'); } } });
  assert.throws(() => t.execute(null), { name: 'TemplateError', message: 'template: x:1:2: executing "x" at <boom>: error calling boom: kaput' });
});

test('parse errors are TemplateErrors in the parse phase', () => {
  assert.throws(() => parseTemplate('{{foo}}', { name: 'n' }), (e: unknown) =>
    e instanceof TemplateError && e.phase === 'parse' && e.message === 'template: n:1: function "foo" not defined');
});

test('defined templates can be executed by name and block provides a default body', () => {
  const t = parseTemplate('a({{block "inner" .}}bar({{.}})baz{{end}})b', { name: 'outer' });
  assert.equal(t.execute('hello'), 'a(bar(hello)baz)b');
  assert.equal(t.executeTemplate('inner', 'x'), 'bar(x)baz');
  assert.deepEqual(t.templateNames().sort(), ['inner', 'outer']);
});

test('Go exec_test TestExecError: nested template error names every level', () => {
  const text = 'line 1\nline 2\nline 3\n{{template "one" .}}\n{{define "one"}}{{template "two" .}}{{end}}\n{{define "two"}}{{template "three" .}}{{end}}\n{{define "three"}}{{index "hi" $}}{{end}}';
  assert.throws(() => parseTemplate(text, { name: 'top' }).execute(5), {
    message: 'template: top:7:20: executing "three" at <index "hi" $>: error calling index: index out of range: 5',
  });
});

test('Go exec_test TestTree: recursive templates with trim markers', () => {
  const tree = {
    Val: 1,
    Left: { Val: 2, Left: { Val: 3, Left: { Val: 4 } }, Right: { Val: 5, Left: { Val: 6 } } },
    Right: { Val: 7, Left: { Val: 8, Left: { Val: 9 } }, Right: { Val: 10, Left: { Val: 11 } } },
  };
  const text = `
	{{- define "tree" -}}
	[
		{{- .Val -}}
		{{- with .Left -}}
			{{template "tree" . -}}
		{{- end -}}
		{{- with .Right -}}
			{{- template "tree" . -}}
		{{- end -}}
	]
	{{- end -}}
`;
  assert.equal(parseTemplate(text, { name: 'root' }).executeTemplate('tree', tree), '[1[2[3[4]][5[6]]][7[8[9]][10[11]]]]');
});

test('missing keys print <no value> at top level and <nil> inside print', () => {
  assert.equal(renderTemplate('{{.x}} {{.y}} {{print .y}}', { x: 99 }), '99 <no value> <nil>');
});

test('float literals stay floats: GoFloat data prints like Go float64', () => {
  assert.equal(renderTemplate('{{.}}', new GoFloat(1e6)), '1e+06');
  assert.equal(renderTemplate('{{.}}', 1e6), '1000000');
  assert.equal(sprintf('%v|%6.2f|%-5d|%q', [new GoFloat(2), 3.14159, 42, 'a"b']), '2|  3.14|42   |"a\\"b"');
});

test('break and continue leave only their own range', () => {
  assert.equal(
    renderTemplate('{{range $i, $r := .}}{{range $r}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}};{{end}}', [[1, 2, 3], [4, 2]]),
    '1;4;',
  );
});

test('with ... else with chains', () => {
  const t = '{{with .a}}A{{.}}{{else with .b}}B{{.}}{{else}}none{{end}}';
  assert.equal(renderTemplate(t, { a: 1 }), 'A1');
  assert.equal(renderTemplate(t, { b: 2 }), 'B2');
  assert.equal(renderTemplate(t, {}), 'none');
});

test('range over an integer counts from zero, else when not positive', () => {
  assert.equal(renderTemplate('{{range 3}}{{.}}{{end}}', null), '012');
  assert.equal(renderTemplate('{{range $i := 2}}<{{$i}}>{{end}}', null), '<0><1>');
  assert.equal(renderTemplate('{{range 0}}x{{else}}none{{end}}', null), 'none');
});
