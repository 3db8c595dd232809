// Tokenizer for Go template text: splits text from {{actions}}, handles trim markers ("{{- ", " -}}")
// and comments, and yields the tokens inside actions with byte-accurate positions and line numbers.

export type ItemType =
  | 'error' | 'bool' | 'char' | 'charConstant' | 'comment' | 'assign' | 'declare' | 'eof' | 'field'
  | 'identifier' | 'leftDelim' | 'leftParen' | 'number' | 'pipe' | 'rawString' | 'rightDelim'
  | 'rightParen' | 'space' | 'string' | 'text' | 'variable'
  // keywords
  | 'block' | 'break' | 'continue' | 'dot' | 'define' | 'else' | 'end' | 'if' | 'nil' | 'range'
  | 'template' | 'with';

export interface Item {
  typ: ItemType;
  pos: number; // index into the template text (UTF-16 units)
  val: string;
  line: number;
}

const keywords: Record<string, ItemType> = {
  '.': 'dot', block: 'block', break: 'break', continue: 'continue', define: 'define', else: 'else',
  end: 'end', if: 'if', range: 'range', nil: 'nil', template: 'template', with: 'with',
};

export function isKeyword(t: ItemType): boolean {
  return ['block', 'break', 'continue', 'dot', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with'].includes(t);
}

/** How Go's parser names a token in "unexpected X in Y" messages. */
export function itemString(i: Item): string {
  if (i.typ === 'eof') return 'EOF';
  if (i.typ === 'error') return i.val;
  if (isKeyword(i.typ)) return `<${i.val}>`;
  const chars = Array.from(i.val);
  if (chars.length > 10) return goQuoteShort(chars.slice(0, 10).join('')) + '...';
  return goQuoteShort(i.val);
}

function goQuoteShort(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

const LEFT = '{{';
const RIGHT = '}}';
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined): boolean => c !== undefined && (c === '_' || /^[\p{L}\p{Nd}]$/u.test(c));

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}
function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

function unicodeName(r: string): string {
  const cp = r.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex} '${r}'`;
}

export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const emit = (typ: ItemType): void => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    for (let i = start; i < pos; i++) if (input[i] === '\n') line++;
    start = pos;
    startLine = line;
  };
  const advance = (n: number): void => {
    for (let i = pos; i < pos + n && i < input.length; i++) if (input[i] === '\n') line++;
    pos += n;
  };
  const fail = (msg: string): Item[] => {
    items.push({ typ: 'error', pos: start, val: msg, line: startLine });
    return items;
  };
  const next = (): string | undefined => {
    if (pos >= input.length) {
      pos = input.length + 1; // past the end so backup() restores
      return undefined;
    }
    const cp = input.codePointAt(pos)!;
    const ch = String.fromCodePoint(cp);
    pos += ch.length;
    if (ch === '\n') line++;
    return ch;
  };
  const backup = (ch: string | undefined): void => {
    if (ch === undefined) {
      pos = input.length;
      return;
    }
    pos -= ch.length;
    if (ch === '\n') line--;
  };
  const peek = (): string | undefined => (pos < input.length ? String.fromCodePoint(input.codePointAt(pos)!) : undefined);
  const accept = (valid: string): boolean => {
    const c = next();
    if (c !== undefined && valid.includes(c)) return true;
    backup(c);
    return false;
  };
  const acceptRun = (valid: string): void => {
    for (;;) {
      const c = next();
      if (c === undefined || !valid.includes(c)) {
        backup(c);
        return;
      }
    }
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const r = peek();
    if (r === undefined || isSpace(r)) return true;
    if ('.,|:()'.includes(r)) return true;
    return input.startsWith(RIGHT, pos);
  };
  const skipLeadingSpace = (): void => {
    let i = pos;
    while (i < input.length && isSpace(input[i])) i++;
    advance(i - pos);
    ignore();
  };

  // Returns false when lexing stopped on an error.
  const lexInsideAction = (): boolean => {
    for (;;) {
      const { delim, trim } = atRightDelim();
      if (delim) {
        if (parenDepth !== 0) {
          fail('unclosed left paren');
          return false;
        }
        if (trim) {
          advance(2);
          ignore();
        }
        advance(RIGHT.length);
        emit('rightDelim');
        if (trim) skipLeadingSpace();
        return true;
      }
      const r = next();
      if (r === undefined) {
        fail('unclosed action');
        return false;
      }
      if (isSpace(r)) {
        // A space before "-}}" belongs to the trim marker.
        while (isSpace(peek())) {
          if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + 2)) break;
          next();
        }
        if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT, pos + 1)) {
          backup(input[pos - 1]);
          if (pos === start) continue;
        }
        emit('space');
        continue;
      }
      switch (r) {
        case '=':
          emit('assign');
          continue;
        case ':':
          if (next() !== '=') {
            fail('expected :=');
            return false;
          }
          emit('declare');
          continue;
        case '|':
          emit('pipe');
          continue;
        case '"': {
          for (;;) {
            const c = next();
            if (c === '\\') {
              const d = next();
              if (d !== undefined && d !== '\n') continue;
            }
            if (c === undefined || c === '\n' || (c === '\\')) {
              fail('unterminated quoted string');
              return false;
            }
            if (c === '"') break;
          }
          emit('string');
          continue;
        }
        case '`': {
          const end = input.indexOf('`', pos);
          if (end < 0) {
            fail('unterminated raw quoted string');
            return false;
          }
          advance(end + 1 - pos);
          emit('rawString');
          continue;
        }
        case '$': {
          if (atTerminator()) {
            emit('variable');
            continue;
          }
          if (!lexWord('variable')) return false;
          continue;
        }
        case "'": {
          for (;;) {
            const c = next();
            if (c === '\\') {
              const d = next();
              if (d !== undefined && d !== '\n') continue;
            }
            if (c === undefined || c === '\n' || c === '\\') {
              fail('unterminated character constant');
              return false;
            }
            if (c === "'") break;
          }
          emit('charConstant');
          continue;
        }
        case '.': {
          const p = peek();
          // As Go's lexer: a '.' at the very end of the input is lexed as a number.
          if (p === undefined || (p >= '0' && p <= '9')) {
            backup(r);
            if (!lexNumber()) return false;
            continue;
          }
          if (atTerminator()) {
            emit('dot');
            continue;
          }
          if (!lexWord('field')) return false;
          continue;
        }
        case '(':
          parenDepth++;
          emit('leftParen');
          continue;
        case ')':
          parenDepth--;
          emit('rightParen');
          if (parenDepth < 0) {
            fail(`unexpected right paren ${unicodeName(r)}`);
            return false;
          }
          continue;
      }
      if (r === '+' || r === '-' || (r >= '0' && r <= '9')) {
        backup(r);
        if (!lexNumber()) return false;
        continue;
      }
      if (isAlphaNumeric(r)) {
        while (isAlphaNumeric(peek())) next();
        if (!atTerminator()) {
          fail(`bad character ${unicodeName(peek()!)}`);
          return false;
        }
        const word = input.slice(start, pos);
        const kw = keywords[word];
        if (kw && kw !== 'dot') emit(kw);
        else if (word === 'true' || word === 'false') emit('bool');
        else emit('identifier');
        continue;
      }
      if (r.codePointAt(0)! <= 0x7f && r >= ' ') {
        emit('char');
        continue;
      }
      fail(`unrecognized character in action: ${unicodeName(r)}`);
      return false;
    }
  };

  const lexWord = (typ: ItemType): boolean => {
    while (isAlphaNumeric(peek())) next();
    if (!atTerminator()) {
      fail(`bad character ${unicodeName(peek()!)}`);
      return false;
    }
    emit(typ);
    return true;
  };

  const lexNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peek())) {
      next();
      fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
      return false;
    }
    emit('number');
    return true;
  };

  for (;;) {
    // text
    const x = input.indexOf(LEFT, pos);
    if (x < 0) {
      advance(input.length - pos);
      if (pos > start) emit('text');
      items.push({ typ: 'eof', pos, val: '', line });
      return items;
    }
    advance(x - pos);
    if (x > start) {
      let end = x;
      if (hasLeftTrimMarker(input, x + LEFT.length)) {
        while (end > start && isSpace(input[end - 1])) end--;
      }
      if (end > start) items.push({ typ: 'text', pos: start, val: input.slice(start, end), line: startLine });
      start = pos;
      startLine = line;
    }
    // left delim
    advance(LEFT.length);
    const trim = hasLeftTrimMarker(input, pos);
    const after = trim ? 2 : 0;
    if (input.startsWith('/*', pos + after)) {
      advance(after);
      ignore();
      const endC = input.indexOf('*/', pos + 2);
      if (endC < 0) return fail('unclosed comment');
      advance(endC + 2 - pos);
      const { delim, trim: trimAfter } = atRightDelim();
      if (!delim) return fail('comment ends before closing delimiter');
      if (trimAfter) advance(2);
      advance(RIGHT.length);
      ignore();
      if (trimAfter) skipLeadingSpace();
      continue;
    }
    emit('leftDelim');
    advance(after);
    ignore();
    parenDepth = 0;
    if (!lexInsideAction()) return items;
  }
}
