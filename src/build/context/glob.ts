// Go's filepath.Match patterns (`*`, `?`, `[...]`, `\` escapes) as regular expressions over
// whole slash-separated paths: the glob syntax of COPY and ADD sources.

export function hasGlob(p: string): boolean {
  return /[*?[\\]/.test(p);
}

export function globToRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^')) body = '^' + body.slice(1);
      re += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = end;
    } else re += escape(ch);
  }
  return new RegExp(re + '$');
}

function escape(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? '\\' + ch : ch;
}
