// .dockerignore: reading the file and matching context paths against its patterns with the
// semantics of moby's patternmatcher (last matching pattern wins, `!` re-includes, `**` spans
// directories, a pattern that matches a parent directory matches everything below it).

/** Go's path.Clean for slash-separated paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const s = (rooted ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

/** The patterns of a .dockerignore file: comments dropped, cleaned, leading `/` removed. */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (line === '') continue;
    let invert = false;
    if (line.startsWith('!')) {
      invert = true;
      line = line.slice(1).trim();
    }
    if (line.length > 0) {
      line = cleanPath(line);
      if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    }
    out.push(invert ? '!' + line : line);
  }
  return out;
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface Pattern {
  cleaned: string;
  dirs: string[];
  exclusion: boolean;
  type: MatchType;
  regexp?: RegExp;
}

const REGEX_SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

function compile(cleaned: string): Pick<Pattern, 'type' | 'regexp'> {
  let re = '^';
  let type: MatchType = 'exact';
  const chars = [...cleaned];
  for (let i = 0, idx = 0; i < chars.length; idx++) {
    const ch = chars[i++]!;
    if (ch === '*') {
      if (chars[i] === '*') {
        i++;
        if (chars[i] === '/') i++;
        if (i >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (idx === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (REGEX_SPECIAL.has(ch)) {
      re += '\\' + ch;
    } else if (ch === '\\') {
      if (i < chars.length) {
        const next = chars[i++]!;
        re += /[A-Za-z0-9]/.test(next) ? next : '\\' + next;
        type = 'regexp';
      } else {
        re += '\\\\';
      }
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else {
      re += ch;
    }
  }
  if (type !== 'regexp') return { type };
  try {
    return { type, regexp: new RegExp(re + '$') };
  } catch {
    throw new Error(`syntax error in pattern`);
  }
}

function matchOne(p: Pattern, path: string): boolean {
  switch (p.type) {
    case 'exact':
      return path === p.cleaned;
    case 'prefix':
      return path.startsWith(p.cleaned.slice(0, -2));
    case 'suffix': {
      const suffix = p.cleaned.slice(2);
      if (path.endsWith(suffix)) return true;
      return suffix.startsWith('/') && path === suffix.slice(1);
    }
    case 'regexp':
      return p.regexp!.test(path);
  }
}

export class PatternMatcher {
  private readonly patterns: Pattern[] = [];
  readonly exclusions: boolean;

  /** Throws on `!` alone or a malformed pattern, as Docker refuses the build then. */
  constructor(patterns: readonly string[]) {
    let exclusions = false;
    for (const raw of patterns) {
      let p = raw.trim();
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        exclusions = true;
        p = p.slice(1);
      }
      this.patterns.push({ cleaned: p, dirs: p.split('/'), exclusion, ...compile(p) });
    }
    this.exclusions = exclusions;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether `file` (slash-separated, relative to the context) is excluded. */
  matches(file: string): boolean {
    file = cleanPath(file);
    if (file === '.') return false;
    let matched = false;
    const slash = file.lastIndexOf('/');
    const parentDirs = slash < 0 ? [] : file.slice(0, slash).split('/');
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let m = matchOne(p, file);
      for (let i = 0; !m && i < parentDirs.length; i++) m = matchOne(p, parentDirs.slice(0, i + 1).join('/'));
      if (m) matched = !p.exclusion;
    }
    return matched;
  }
}
