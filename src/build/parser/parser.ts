// Dockerfile text → AST, as Docker's parser builds it: parser directives (escape, syntax, check),
// line continuations, comments, per-directive argument forms (JSON, words, key=value), builder
// flags and heredocs. Pure: no I/O and no variable expansion (that happens at build time).

import { InvalidParameter } from '../../lib/errors.js';
import { goQuote, goQuoteList, goTrimLeftSpace, goTrimSpace, isGoSpace } from './go-text.js';
import { emptyEnv, ShellExpansionError, ShellLex, type EscapeToken } from './shell-lex.js';

export interface Heredoc {
  /** Delimiter word with quotes removed. */
  name: string;
  /** `3<<EOF` gives 3; 0 when not given. */
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted: the body is then not expanded. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body when it is used. */
  chomp: boolean;
  /** Body lines as written, each with its line ending. */
  content: string;
}

export interface DockerfileNode {
  /** The instruction keyword as written (case preserved). */
  directive: string;
  /** Builder flags (`--from=x`) in order, quotes removed. */
  flags: string[];
  /** Arguments as the directive's parser produced them (ENV/LABEL: key, value, "=" or "" triples). */
  args: string[];
  /** ONBUILD's trigger instruction. */
  child?: DockerfileNode;
  /** Arguments came from a JSON array (exec form). */
  json: boolean;
  heredocs: Heredoc[];
  /** The logical line after joining continuations and dropping comment lines. */
  original: string;
  startLine: number;
  endLine: number;
  /** Comment lines directly above the instruction. */
  comments: string[];
}

export interface ParseWarning {
  message: string;
  detail: string;
  url: string;
  line: number;
}

export interface ParsedDockerfile {
  nodes: DockerfileNode[];
  startLine: number;
  endLine: number;
  escapeToken: EscapeToken;
  /** Parser directives found at the top of the file (`syntax`, `escape`, `check`), by lower-case name. */
  directives: Record<string, string>;
  warnings: ParseWarning[];
}

/** A Dockerfile that cannot be parsed. The message names the line and what is wrong. */
export class DockerfileParseError extends InvalidParameter {
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly endLine: number = line,
  ) {
    super(`dockerfile parse error on line ${line}: ${detail}`);
  }
}

/** An error whose text is Docker's and whose line is added by the caller. */
class Failure extends Error {}

const MAX_LINE_BYTES = 64 * 1024;
const reWhitespace = /[\t\v\f\r ]+/;
const reHeredoc = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;
const reDirective = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const validDirectives = new Set(['syntax', 'escape', 'check']);
const heredocDirectives = new Set(['add', 'copy', 'run']);

// Parser directives are `# key=value` comments, valid only before anything else in the file.
class DirectiveScanner {
  private done = false;
  readonly seen: Record<string, string> = {};

  parseLine(line: string): { name: string; value: string } | undefined {
    if (this.done) return undefined;
    if (!line.startsWith('#')) {
      this.done = true;
      return undefined;
    }
    const m = reDirective.exec(goTrimLeftSpace(line.slice(1)));
    const name = m?.[1]!.toLowerCase();
    if (!m || !name || !validDirectives.has(name)) {
      this.done = true;
      return undefined;
    }
    if (name in this.seen) throw new Failure(`only one ${name} parser directive can be used`);
    this.seen[name] = m[2]!;
    return { name, value: m[2]! };
  }
}

class ParserState {
  escapeToken: EscapeToken = '\\';
  continuation = continuationRegex('\\');
  readonly directives = new DirectiveScanner();

  setEscapeToken(token: string): void {
    if (token !== '`' && token !== '\\') throw new Failure(`invalid escape token '${token}' does not match \` or \\`);
    this.escapeToken = token;
    this.continuation = continuationRegex(token);
  }
}

// The escape token ends a line (ignoring trailing blanks) unless it is itself escaped.
function continuationRegex(token: EscapeToken): RegExp {
  return token === '\\' ? /([^\\])\\[ \t]*$|^\\[ \t]*$/u : /([^`])`[ \t]*$|^`[ \t]*$/u;
}

function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      lines.push(text.slice(start));
      break;
    }
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  return lines;
}

function trimNewline(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}

function isComment(line: string): boolean {
  return goTrimLeftSpace(line).startsWith('#');
}

/** Parses Dockerfile text into its AST. Throws DockerfileParseError. */
export function parseDockerfileAst(text: string): ParsedDockerfile {
  const d = new ParserState();
  let lines = splitLines(text.startsWith('\ufeff') ? text.slice(1) : text);
  // Docker's line scanner stops at a line longer than its buffer and reports it after the rest.
  let tooLong = false;
  const longAt = lines.findIndex((l) => Buffer.byteLength(trimNewline(l)) >= MAX_LINE_BYTES);
  if (longAt >= 0) {
    lines = lines.slice(0, longAt);
    tooLong = true;
  }

  const nodes: DockerfileNode[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let currentLine = 0;
  let i = 0;

  const processLine = (raw: string, stripLeft: boolean): { text: string; directive: boolean } => {
    let token = trimNewline(raw);
    if (stripLeft) token = goTrimLeftSpace(token);
    let directive = false;
    try {
      const dir = d.directives.parseLine(token);
      if (dir?.name === 'escape') d.setEscapeToken(dir.value);
      directive = dir !== undefined;
    } catch (err) {
      if (err instanceof Failure) throw new DockerfileParseError(err.message, currentLine + 1);
      throw err;
    }
    return { text: isComment(token) ? '' : token, directive };
  };

  const trimContinuation = (line: string): [string, boolean] => {
    if (d.continuation.test(line)) return [line.replace(d.continuation, '$1'), false];
    return [line, true];
  };

  while (i < lines.length) {
    const raw = lines[i++]!;
    if (isComment(raw)) {
      const comment = goTrimSpace(raw.slice(1));
      if (comment === '') comments = [];
      else comments.push(comment);
    }
    const first = processLine(raw, true);
    if (first.directive) comments.pop();
    currentLine++;

    const startLine = currentLine;
    let [buf, isEndOfLine] = trimContinuation(first.text);
    if (isEndOfLine && buf.length === 0) continue;

    let hasEmptyContinuationLine = false;
    while (!isEndOfLine && i < lines.length) {
      const nextRaw = lines[i++]!;
      const cont = processLine(nextRaw, false);
      currentLine++;
      if (isComment(nextRaw)) continue;
      if (goTrimLeftSpace(trimNewline(cont.text)).length === 0) {
        hasEmptyContinuationLine = true;
        continue;
      }
      let part: string;
      [part, isEndOfLine] = trimContinuation(cont.text);
      buf += part;
    }

    const line = buf;
    if (hasEmptyContinuationLine) {
      warnings.push({
        message: 'Empty continuation line found in: ' + line,
        detail: 'Empty continuation lines will become errors in a future release',
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
        line: currentLine,
      });
    }

    let node: DockerfileNode;
    try {
      node = nodeFromLine(line, d, comments);
    } catch (err) {
      if (err instanceof Failure) throw new DockerfileParseError(err.message, startLine, currentLine);
      throw err;
    }

    if (canContainHeredoc(node) && line.includes('<<')) {
      let docs: Omit<Heredoc, 'content'>[];
      try {
        docs = heredocsFromLine(line);
      } catch (err) {
        if (err instanceof Failure || err instanceof ShellExpansionError) {
          throw new DockerfileParseError(err.message, startLine, currentLine);
        }
        throw err;
      }
      for (const doc of docs) {
        let terminated = false;
        let content = '';
        while (i < lines.length) {
          const bodyLine = lines[i++]!;
          currentLine++;
          let candidate = trimNewline(bodyLine);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += bodyLine;
        }
        if (!terminated) throw new DockerfileParseError('unterminated heredoc', startLine, currentLine);
        node.heredocs.push({ ...doc, content });
      }
    }

    node.startLine = startLine;
    node.endLine = currentLine;
    nodes.push(node);
    comments = [];
  }

  if (nodes.length === 0) throw new DockerfileParseError('file with no instructions', Math.max(currentLine, 1));
  if (tooLong) {
    throw new DockerfileParseError(`dockerfile line greater than max allowed size of ${MAX_LINE_BYTES - 1}`, currentLine + 1);
  }
  return {
    nodes,
    startLine: nodes[0]!.startLine,
    endLine: nodes[nodes.length - 1]!.endLine,
    escapeToken: d.escapeToken,
    directives: { ...d.directives.seen },
    warnings,
  };
}

function canContainHeredoc(node: DockerfileNode): boolean {
  const target = node.directive.toLowerCase() === 'onbuild' && node.child ? node.child : node;
  return heredocDirectives.has(target.directive.toLowerCase()) && !target.json;
}

interface ArgForm {
  args: string[];
  json?: boolean;
  child?: DockerfileNode;
}

type LineParser = (rest: string, d: ParserState) => ArgForm;

const dispatch: Record<string, LineParser> = {
  add: parseMaybeJsonToList,
  arg: (rest, d) => ({ args: parseWords(rest, d.escapeToken) }),
  cmd: parseMaybeJson,
  copy: parseMaybeJsonToList,
  entrypoint: parseMaybeJson,
  env: (rest, d) => ({ args: parseNameVal(rest, 'ENV', d.escapeToken) }),
  expose: parseWhitespaceDelimited,
  from: parseWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (rest, d) => ({ args: parseNameVal(rest, 'LABEL', d.escapeToken) }),
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJson,
  shell: parseMaybeJson,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJsonToList,
  workdir: parseString,
};

/** The instruction keywords Docker knows, upper case. */
export const KNOWN_DIRECTIVES: readonly string[] = Object.keys(dispatch).map((k) => k.toUpperCase());

function nodeFromLine(line: string, d: ParserState, comments: string[]): DockerfileNode {
  const { cmd, flags, args } = splitCommand(line, d);
  // Unknown instructions parse (with one empty argument) and are rejected when typed.
  const parse: LineParser = dispatch[cmd.toLowerCase()] ?? (() => ({ args: [''] }));
  const form = parse(args, d);
  return {
    directive: cmd,
    flags,
    args: form.args,
    ...(form.child ? { child: form.child } : {}),
    json: form.json ?? false,
    heredocs: [],
    original: line,
    startLine: 0,
    endLine: 0,
    comments: [...comments],
  };
}

function splitCommand(line: string, d: ParserState): { cmd: string; flags: string[]; args: string } {
  const trimmed = goTrimSpace(line);
  const m = reWhitespace.exec(trimmed);
  if (!m) return { cmd: trimmed, flags: [], args: '' };
  const cmd = trimmed.slice(0, m.index);
  const { rest, flags } = extractBuilderFlags(trimmed.slice(m.index + m[0].length), d.escapeToken);
  return { cmd, flags, args: goTrimSpace(rest) };
}

// Leading `--name=value` words are builder flags; a bare `--` ends them.
function extractBuilderFlags(line: string, escape: EscapeToken): { rest: string; flags: string[] } {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    let ch = pos < line.length ? line[pos]! : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isGoSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { rest: line.slice(pos), flags: words };
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return { rest: line.slice(pos), flags: words };
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = line[pos]!;
      }
      word += ch;
      continue;
    }
    // inside quotes
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === escape) {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      ch = line[pos]!;
    }
    word += ch;
  }
  return { rest: '', flags: words };
}

/**
 * Splits on unquoted whitespace, keeping quotes and escapes in the words (they are removed
 * later, by expansion). Used by ARG, ENV and LABEL.
 */
export function parseWords(rest: string, escape: EscapeToken = '\\'): string[] {
  const chars = Array.from(rest);
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let word = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos]! : '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isGoSpace(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        pos++;
        ch = chars[pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    // Single quotes cannot escape anything.
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos]!;
    }
    word += ch;
  }
  return words;
}

// ENV and LABEL: `key value` (legacy, one pair) or `key=value ...`.
function parseNameVal(rest: string, key: string, escape: EscapeToken): string[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const m = reWhitespace.exec(rest);
    if (!m) throw new Failure(`${key} must have two arguments`);
    return [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''];
  }
  const out: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) throw new Failure(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    out.push(word.slice(0, eq), word.slice(eq + 1), '=');
  }
  return out;
}

function parseWhitespaceDelimited(rest: string): ArgForm {
  if (rest === '') return { args: [] };
  return { args: rest.split(reWhitespace) };
}

function parseString(rest: string): ArgForm {
  return { args: rest === '' ? [] : [rest] };
}

class NotStringArray extends Failure {
  constructor() {
    super('when using JSON array syntax, arrays must be comprised of strings only');
  }
}

function parseJson(rest: string): ArgForm | undefined {
  const t = goTrimLeftSpace(rest);
  if (!t.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) throw new NotStringArray();
  return { args: value as string[], json: true };
}

// RUN, CMD, ENTRYPOINT, SHELL: a JSON array, or the whole rest as one shell-form argument.
function parseMaybeJson(rest: string): ArgForm {
  if (rest === '') return { args: [] };
  return parseJson(rest) ?? { args: [rest] };
}

// ADD, COPY, VOLUME: a JSON array, or whitespace-separated words.
function parseMaybeJsonToList(rest: string): ArgForm {
  return parseJson(rest) ?? parseWhitespaceDelimited(rest);
}

// HEALTHCHECK: the type word (CMD / NONE) then a command like CMD's.
function parseHealthConfig(rest: string): ArgForm {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest[sep]!)) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest[next]!)) next++;
  if (sep === 0) return { args: [] };
  const cmd = parseMaybeJson(rest.slice(next));
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json ?? false };
}

// ONBUILD: the rest is an instruction of its own.
function parseSubCommand(rest: string, d: ParserState): ArgForm {
  if (rest === '') return { args: [] };
  return { args: [], child: nodeFromLine(rest, d, []) };
}

/** Parses one heredoc word (`<<EOF`, `<<-'EOF'`, `3<<EOF`); undefined when the word is not one. */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = reHeredoc.exec(word);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest === '') return undefined;
  // Comparing the quote count with and without quote removal tells whether any part was quoted.
  const words = new ShellLex({ skipUnsetEnv: true }).processWords(rest, emptyEnv);
  if (words.length !== 1) return undefined;
  const raw = new ShellLex({ skipUnsetEnv: true, rawQuotes: true }).processWords(rest, emptyEnv);
  if (raw.length !== words.length) throw new Failure(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return {
    name: words[0]!,
    fileDescriptor: m[1] ? Number.parseInt(m[1], 10) : 0,
    expand: quotes(words[0]!) === quotes(raw[0]!),
    chomp: m[2] === '-',
  };
}

function heredocsFromLine(line: string): Omit<Heredoc, 'content'>[] {
  let words: string[];
  try {
    words = new ShellLex({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).processWords(line, emptyEnv);
  } catch {
    return [];
  }
  const docs: Omit<Heredoc, 'content'>[] = [];
  for (const w of words) {
    const doc = parseHeredocWord(w);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** Leading tabs removed from every line, as `<<-` asks. */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}

/** One instruction in the format of BuildKit's parser test `result` files. */
export function dumpNode(node: DockerfileNode): string {
  let s = node.directive.toLowerCase();
  if (node.flags.length > 0) s += ' ' + goQuoteList(node.flags);
  for (const a of node.args) s += ' ' + goQuote(a);
  if (node.child) s += ' (' + dumpNode(node.child) + ')';
  return s;
}

/** The whole AST in the format of BuildKit's parser test `result` files (ends with a newline). */
export function dumpAst(ast: ParsedDockerfile): string {
  return ast.nodes.map((n) => '(' + dumpNode(n) + ')\n').join('');
}
