// A parsed template: Go's template.New(name).Funcs(funcs).Parse(text) and Execute, with the
// defined/blocked templates it carries.

import { builtins } from './builtins.js';
import { execute } from './exec.js';
import { GoFunc, toGoFunc } from './funcs.js';
import type { ListNode } from './nodes.js';
import { parse } from './parser.js';

export interface ParseOptions {
  name?: string;
  /** Extra functions; a plain JS function takes any arguments, a GoFunc declares Go parameter types. */
  funcs?: Record<string, Function | GoFunc>;
}

export class Template {
  private readonly trees: Map<string, ListNode>;
  private funcs: Map<string, GoFunc>;
  private missingKeyError = false;

  constructor(
    readonly name: string,
    readonly text: string,
    funcs: Map<string, GoFunc>,
  ) {
    this.funcs = funcs;
    this.trees = parse(name, text, (f) => this.funcs.has(f) || f in builtins).trees;
  }

  /** Go's Funcs: replace or add functions after parsing (Docker swaps in header functions this way). */
  withFuncs(funcs: Record<string, Function | GoFunc>): Template {
    const copy = Object.create(Template.prototype) as Template;
    Object.assign(copy, this);
    copy.funcs = new Map(this.funcs);
    for (const [k, f] of Object.entries(funcs)) copy.funcs.set(k, toGoFunc(f));
    return copy;
  }

  /** Go's Option("missingkey=error"), which docker inspect sets. */
  withMissingKeyError(): Template {
    const copy = Object.create(Template.prototype) as Template;
    Object.assign(copy, this);
    copy.missingKeyError = true;
    return copy;
  }

  execute(data: unknown): string {
    return this.executeTemplate(this.name, data);
  }

  executeTemplate(name: string, data: unknown): string {
    return execute({ name: this.name, trees: this.trees, funcs: this.funcs, missingKeyError: this.missingKeyError }, name, data);
  }

  /** Names of the templates this one defines, its own included. */
  templateNames(): string[] {
    return [...this.trees.keys()];
  }
}

export function parseTemplate(text: string, opts: ParseOptions = {}): Template {
  const funcs = new Map<string, GoFunc>();
  for (const [k, f] of Object.entries(opts.funcs ?? {})) funcs.set(k, toGoFunc(f));
  return new Template(opts.name ?? '', text, funcs);
}
