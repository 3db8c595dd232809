// The `--name[=value]` flags an instruction accepts (bool, string, repeatable string), checked
// the way Docker checks them, with its messages ("unknown flag: --chwon (did you mean chown?)").

import { withSuggestion } from './suggest.js';

export type FlagKind = 'bool' | 'string' | 'strings';

export class FlagError extends Error {}

export interface ParsedFlags {
  bools: Map<string, boolean>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  /** Names of the flags given, in order of first use. */
  used: string[];
}

/** Parses `args` against the accepted flags. Throws FlagError. */
export function parseBuilderFlags(args: readonly string[], accepted: Readonly<Record<string, FlagKind>>): ParsedFlags {
  const out: ParsedFlags = { bools: new Map(), strings: new Map(), lists: new Map(), used: [] };
  for (const a of args) {
    // A bare -- ends the flags, as in POSIX utilities.
    if (a === '--') return out;
    if (!a.startsWith('--')) throw new FlagError(`arg should start with -- : ${a}`);
    const eq = a.indexOf('=');
    const flagName = eq < 0 ? a : a.slice(0, eq);
    const hasValue = eq >= 0;
    const value = hasValue ? a.slice(eq + 1) : '';
    const name = flagName.slice(2);
    const kind = Object.hasOwn(accepted, name) ? accepted[name] : undefined;
    if (kind === undefined) {
      throw new FlagError(withSuggestion(`unknown flag: ${flagName}`, name, Object.keys(accepted), true));
    }
    if (out.used.includes(name) && kind !== 'strings') throw new FlagError(`duplicate flag specified: ${flagName}`);
    if (!out.used.includes(name)) out.used.push(name);
    switch (kind) {
      case 'bool':
        if (hasValue && value === '') throw new FlagError(`missing a value on flag: ${flagName}`);
        if (value === '' || value.toLowerCase() === 'true') out.bools.set(name, true);
        else if (value.toLowerCase() === 'false') out.bools.set(name, false);
        else throw new FlagError(`expecting boolean value for flag ${flagName}, not: ${value}`);
        break;
      case 'string':
        if (!hasValue) throw new FlagError(`missing a value on flag: ${flagName}`);
        out.strings.set(name, value);
        break;
      case 'strings': {
        if (!hasValue) throw new FlagError(`missing a value on flag: ${flagName}`);
        const list = out.lists.get(name) ?? [];
        list.push(value);
        out.lists.set(name, list);
        break;
      }
    }
  }
  return out;
}
