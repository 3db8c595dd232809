// Docker's Dockerfile word expansion: quotes, escapes (`\` or the backtick), $VAR and ${VAR…}
// substitutions (:- - :+ + :? ? # ## % %% / //) and word splitting after expansion. Behaves like
// BuildKit's shell.Lex (ProcessWord / ProcessWords), including unset-versus-empty rules and errors.

import { goQuote, isGoDigit, isGoLetter, isGoSpace } from './go-text.js';

/** Where expansion looks variables up; `undefined` means unset (different from empty). */
export interface EnvLookup {
  get(name: string): string | undefined;
}

/** Builds a lookup from `KEY=value` entries (a bare `KEY` is set and empty; the last entry wins) or a record. */
export function envLookup(entries: readonly string[] | Readonly<Record<string, string>> | ReadonlyMap<string, string>): EnvLookup {
  const map = new Map<string, string>();
  if (Array.isArray(entries)) {
    for (const e of entries as readonly string[]) {
      const i = e.indexOf('=');
      if (i < 0) map.set(e, '');
      else map.set(e.slice(0, i), e.slice(i + 1));
    }
  } else if (entries instanceof Map) {
    for (const [k, v] of entries) map.set(k, v);
  } else {
    for (const [k, v] of Object.entries(entries as Record<string, string>)) map.set(k, v);
  }
  return { get: (name) => map.get(name) };
}

export const emptyEnv: EnvLookup = { get: () => undefined };

export type EscapeToken = '\\' | '`';

export interface LexOptions {
  escapeToken?: EscapeToken;
  /** Keep quote characters in the output (used to find quoted heredoc words). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (used for heredoc bodies). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
}

export interface ProcessResult {
  result: string;
  words: string[];
  /** Variables that were looked up and set. */
  matched: Set<string>;
  /** Variables that were looked up and unset. */
  unmatched: Set<string>;
}

/** An expansion failure; the message is Docker's (`failed to process "…": …`). */
export class ShellExpansionError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'ShellExpansionError';
  }
}

const EOF = '';

export class ShellLex {
  readonly escapeToken: EscapeToken;
  readonly rawQuotes: boolean;
  readonly rawEscapes: boolean;
  readonly skipProcessQuotes: boolean;
  readonly skipUnsetEnv: boolean;

  constructor(opts: LexOptions = {}) {
    this.escapeToken = opts.escapeToken ?? '\\';
    this.rawQuotes = opts.rawQuotes ?? false;
    this.rawEscapes = opts.rawEscapes ?? false;
    this.skipProcessQuotes = opts.skipProcessQuotes ?? false;
    this.skipUnsetEnv = opts.skipUnsetEnv ?? false;
  }

  /** Expands `word` as one word (spaces kept). Throws ShellExpansionError. */
  processWord(word: string, env: EnvLookup): string {
    return this.process(word, env).result;
  }

  /** Expands `word` and splits it into words on unquoted whitespace. Throws ShellExpansionError. */
  processWords(word: string, env: EnvLookup): string[] {
    return this.process(word, env).words;
  }

  process(word: string, env: EnvLookup): ProcessResult {
    const w = new WordProcessor(this, word, env);
    try {
      const [result, words] = w.processStopOn(EOF, this.rawEscapes);
      return { result, words, matched: w.matched, unmatched: w.unmatched };
    } catch (err) {
      if (err instanceof LexFailure) {
        throw new ShellExpansionError(`failed to process ${goQuote(word)}: ${err.message}`, word, err.message);
      }
      throw err;
    }
  }
}

class LexFailure extends Error {}

// Splits expanded text into words the way the lexer does: whitespace produced by a variable ends
// a word, whitespace from quotes or escapes does not.
class WordCollector {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];

  addChar(ch: string): void {
    if (isGoSpace(ch) && this.inWord) {
      if (this.buf.length !== 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else if (!isGoSpace(ch)) {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class WordProcessor {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    private readonly lex: ShellLex,
    word: string,
    private readonly env: EnvLookup,
  ) {
    this.chars = Array.from(word);
    this.rawEscapes = lex.rawEscapes;
  }

  private peek(): string {
    return this.pos < this.chars.length ? this.chars[this.pos]! : EOF;
  }

  private next(): string {
    return this.pos < this.chars.length ? this.chars[this.pos++]! : EOF;
  }

  processStopOn(stopChar: string, rawEscapes: boolean): [string, string[]] {
    let result = '';
    const words = new WordCollector();
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stopChar !== EOF && ch === stopChar) {
          this.next();
          return [result, words.finish()];
        }
        const special =
          ch === '$' || ch === '<' || (!this.lex.skipProcessQuotes && (ch === "'" || ch === '"'));
        if (special) {
          let tmp: string;
          if (ch === '$') tmp = this.processDollar();
          else if (ch === '<') tmp = this.processPossibleHeredoc();
          else if (ch === "'") tmp = this.processSingleQuote();
          else tmp = this.processDoubleQuote();
          result += tmp;
          if (ch === '$') words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        let c = this.next();
        if (c === this.lex.escapeToken) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          // The escape token escapes the next character; at the very end it is dropped.
          c = this.next();
          if (c === EOF) break;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
      if (stopChar !== EOF) {
        throw new LexFailure(`unexpected end of statement while looking for matching ${stopChar}`);
      }
      return [result, words.finish()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  // Everything up to the next ' is literal; a ' cannot be escaped inside.
  private processSingleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.lex.rawQuotes) result += ch;
    for (;;) {
      ch = this.next();
      if (ch === EOF) throw new LexFailure('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  // Literal except $ expansions; the escape token only escapes ", $ and itself.
  private processDoubleQuote(): string {
    let result = '';
    const open = this.next();
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new LexFailure('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        const ch = this.next();
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      if (p === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.lex.escapeToken) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === this.lex.escapeToken) ch = this.next();
      }
      result += ch;
    }
  }

  private getEnv(name: string): string | undefined {
    const v = this.env.get(name);
    if (v !== undefined) this.matched.add(name);
    else this.unmatched.add(name);
    return v;
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new LexFailure("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new LexFailure('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    // Go prints the EOF rune as U+FFFD in "unsupported modifier" messages.
    let chs = ch === EOF ? '\ufffd' : ch;
    let nullIsUnset = false;

    if (ch === '}') {
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return '${' + name + '}';
      return value ?? '';
    }
    if (ch === '/') return this.processReplace(name);
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      chs += ch === EOF ? '\ufffd' : ch;
    } else if (!['+', '-', '?', '#', '%'].includes(ch)) {
      throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
    }

    const patternOp = ch === '#' || ch === '%';
    if (nullIsUnset && patternOp) throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
    let word: string;
    try {
      [word] = this.processStopOn('}', patternOp);
    } catch (err) {
      if (err instanceof LexFailure && this.peek() === EOF) throw new LexFailure("syntax error: missing '}'");
      throw err;
    }

    const value = this.getEnv(name);
    const set = value !== undefined;
    if (this.lex.skipUnsetEnv && !set) return '${' + name + chs + word + '}';
    const v = value ?? '';
    switch (ch) {
      case '-':
        return !set || (nullIsUnset && v === '') ? word : v;
      case '+':
        return !set || (nullIsUnset && v === '') ? '' : word;
      case '?':
        if (!set) throw new LexFailure(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
        if (nullIsUnset && v === '') throw new LexFailure(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
        return v;
      case '%':
      case '#': {
        // A doubled operator (%% / ##) removes the longest match instead of the shortest.
        let greedy = false;
        if (word.length > 0 && word[0] === ch) {
          greedy = true;
          word = word.slice(1);
        }
        return ch === '%' ? trimSuffix(word, v, greedy) : trimPrefix(word, v, greedy);
      }
      default:
        throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
    }
  }

  private processReplace(name: string): string {
    const replaceAll = this.peek() === '/';
    if (replaceAll) this.next();
    let pattern: string;
    try {
      [pattern] = this.processStopOn('/', true);
    } catch (err) {
      if (err instanceof LexFailure && this.peek() === EOF) throw new LexFailure("syntax error: missing '/' in ${}");
      throw err;
    }
    let replacement: string;
    try {
      [replacement] = this.processStopOn('}', true);
    } catch (err) {
      if (err instanceof LexFailure && this.peek() === EOF) throw new LexFailure("syntax error: missing '}'");
      throw err;
    }
    const found = this.getEnv(name);
    if (this.lex.skipUnsetEnv && found === undefined) return '${' + name + '/' + pattern + '/' + replacement + '}';
    const value = found ?? '';
    const re = patternToRegex(pattern, true, false);
    if (replaceAll) {
      const g = new RegExp(re.source, 'gu');
      return value.replace(g, (m) => expandGoTemplate(replacement, m));
    }
    const m = re.exec(value);
    if (!m) return value;
    return value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length);
  }

  // A name is letters, digits and _; or a run of digits (positional); or one special parameter.
  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isGoDigit(ch)) {
        while (this.peek() !== EOF && isGoDigit(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && '@*#?-$!0'.includes(ch)) {
        return this.next();
      }
      if (!isGoLetter(ch) && !isGoDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    // Whitespace between << and the delimiter stays part of the word.
    let space = '';
    while (this.peek() === '\t' || this.peek() === '\r' || this.peek() === ' ') space += this.next();
    return '<<' + space;
  }
}

// Go's Regexp.ReplaceAllString expands $0 / ${0} (the match) and $$; patterns have no groups,
// so every other $name expands to nothing.
function expandGoTemplate(template: string, match: string): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      if (close > i + 2 && /^\w+$/.test(template.slice(i + 2, close))) {
        name = template.slice(i + 2, close);
        end = close + 1;
      }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + 1 + name.length;
      }
    }
    if (name === undefined) {
      out += c;
      continue;
    }
    if (/^\d+$/.test(name) && Number(name) === 0) out += match;
    i = end - 1;
  }
  return out;
}

/** A shell wildcard pattern (`*`, `?`, `\` escapes, no brackets) as a regular expression. */
function patternToRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  let out = anchored ? '^' : '';
  const star = greedy ? '.*' : '.*?';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    let tok = chars[i]!;
    if (tok === '*') {
      out += star;
      continue;
    }
    if (tok === '?') {
      out += '.';
      continue;
    }
    if (tok === '\\') {
      // An escaped } or / belongs to the ${} syntax, not to the pattern.
      const nxt = chars[i + 1];
      if (nxt === '}' || nxt === '/') continue;
      out += '\\';
      i++;
      tok = chars[i] ?? '';
      if (tok !== '*' && tok !== '?' && tok !== '\\') {
        throw new LexFailure(`invalid pattern (${pattern}) in substitution: invalid escape '\\${tok === '' ? '\ufffd' : tok}'`);
      }
    } else if ('[]{}.+()|^$'.includes(tok)) {
      out += '\\';
    }
    out += tok;
  }
  return new RegExp(out, 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternToRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

// Reverses a pattern keeping each escape in front of the character it escapes.
function reversePattern(pattern: string): string {
  const p = Array.from(pattern);
  const out: string[] = new Array(p.length);
  const last = p.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = p[i]!;
    const o = last - i;
    if (tok === '\\' && i !== last) {
      out[o - 1] = tok;
      out[o] = p[i + 1]!;
      i += 2;
    } else {
      out[o] = tok;
      i++;
    }
  }
  return out.join('');
}

function reverseString(s: string): string {
  return Array.from(s).reverse().join('');
}

// The shortest (or longest) rightmost match is the leftmost match in the reversed strings.
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}
