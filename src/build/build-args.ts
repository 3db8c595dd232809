// Build arguments: which values ARG instructions get (the `buildargs` the client sent, ARG
// defaults, ARGs declared before FROM), which are in effect for a step, and which the client sent
// that no ARG consumed. The rules are Docker's.
import type { ArgDefinition } from './parser/instructions.js';

/** Arguments RUN sees without an ARG line; kept out of history and cache keys unless declared. */
export const PREDEFINED_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

export class BuildArgs {
  /** Values sent by the client; null means "declared on the command line without a value". */
  private readonly provided: Map<string, string | null>;
  private readonly consumed = new Set<string>();
  /** Values of the ARGs before the first FROM (with overrides), seen by FROM and re-declared ARGs. */
  readonly meta = new Map<string, string | undefined>();

  constructor(provided: Record<string, string | null | undefined>) {
    this.provided = new Map(Object.entries(provided).map(([k, v]) => [k, v ?? null]));
  }

  /** A provided value: undefined when the client sent none (or sent the key without a value). */
  override(key: string): string | undefined {
    const v = this.provided.get(key);
    return v === null ? undefined : v;
  }

  /** Declares a meta ARG (before FROM); `def.value` already expanded against earlier meta ARGs. */
  declareMeta(def: ArgDefinition): void {
    this.consumed.add(def.key);
    this.meta.set(def.key, this.override(def.key) ?? def.value);
  }

  markConsumed(key: string): void {
    this.consumed.add(key);
  }

  /** Proxy variables the client sent: RUN gets them even without an ARG line. */
  predefined(): [string, string][] {
    const out: [string, string][] = [];
    for (const k of PREDEFINED_ARGS) {
      const v = this.override(k);
      if (v !== undefined) out.push([k, v]);
    }
    return out;
  }

  /** Keys the client sent that no ARG declared (Docker's "[Warning] One or more build-args …"). */
  unconsumed(): string[] {
    return [...this.provided.keys()].filter((k) => !this.consumed.has(k) && !PREDEFINED_ARGS.includes(k)).sort();
  }
}

/** The ARGs declared in one stage so far, in declaration order. */
export class StageArgs {
  private readonly values = new Map<string, string | undefined>();

  constructor(private readonly args: BuildArgs) {}

  /**
   * `ARG key[=default]` inside a stage: the client's value wins, then the default, then (for an
   * ARG without default) the value of the meta ARG of the same name.
   */
  declare(def: ArgDefinition): void {
    this.args.markConsumed(def.key);
    let value = this.args.override(def.key) ?? def.value;
    if (value === undefined && def.value === undefined && this.args.meta.has(def.key)) value = this.args.meta.get(def.key);
    this.values.delete(def.key);
    this.values.set(def.key, value);
  }

  /** Declared ARGs that have a value, in declaration order. */
  inEffect(): [string, string][] {
    return [...this.values].filter((e): e is [string, string] => e[1] !== undefined);
  }

  /**
   * What a RUN step's environment adds to the stage's ENV (ENV wins over an ARG of the same name),
   * and the `|N k=v` prefix Docker records in history and uses for the cache.
   */
  forRun(env: readonly string[]): { env: string[]; historyPrefix: string } {
    const envKeys = new Set(env.map((e) => e.split('=')[0]));
    const declared = this.inEffect().filter(([k]) => !envKeys.has(k));
    const declaredKeys = new Set(declared.map(([k]) => k));
    const extra = this.args.predefined().filter(([k]) => !declaredKeys.has(k) && !envKeys.has(k));
    const sorted = [...declared].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const historyPrefix = sorted.length ? `|${sorted.length} ${sorted.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
    return { env: [...declared, ...extra].map(([k, v]) => `${k}=${v}`), historyPrefix };
  }
}
