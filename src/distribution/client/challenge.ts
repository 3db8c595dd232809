// WWW-Authenticate challenges as registries send them (RFC 7235): `Bearer realm="…",service="…",
// scope="…"` or `Basic realm="…"`, possibly several in one header, parsed into scheme + params.

export interface Challenge {
  /** Lower-cased scheme: 'bearer', 'basic', … */
  scheme: string;
  params: Record<string, string>;
}

/** Parses one or more challenges; unknown syntax is skipped rather than thrown. */
export function parseChallenges(header: string | string[] | undefined | null): Challenge[] {
  if (!header) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const out: Challenge[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const token = () => {
    const m = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(text.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < text.length) {
    skipSpace();
    if (text[i] === ',') {
      i++;
      continue;
    }
    const scheme = token();
    if (!scheme) {
      i++;
      continue;
    }
    const c: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(c);
    // auth-params: key=value pairs separated by commas, until the next bare scheme token.
    for (;;) {
      skipSpace();
      const save = i;
      const key = token();
      skipSpace();
      if (!key || text[i] !== '=') {
        i = save;
        break;
      }
      i++;
      skipSpace();
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          value += text[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      c.params[key.toLowerCase()] = value;
      skipSpace();
      if (text[i] === ',') i++;
    }
  }
  return out;
}
