// The container process environment as dockerd builds it: PATH, HOSTNAME and (with a TTY)
// TERM first, then the user's Env replacing same-named entries; a bare `NAME` unsets NAME.

export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function containerEnvironment(hostname: string, tty: boolean, userEnv: string[] | null | undefined): string[] {
  const defaults = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`];
  if (tty) defaults.push('TERM=xterm');
  return replaceOrAppendEnv(defaults, userEnv ?? []);
}

/** moby's ReplaceOrAppendEnvValues: overrides replace defaults by key, others are appended. */
export function replaceOrAppendEnv(defaults: string[], overrides: string[]): string[] {
  const out: (string | undefined)[] = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(e!.slice(0, Math.max(0, e!.indexOf('='))), i));
  for (const value of overrides) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      const i = index.get(value);
      if (i !== undefined) out[i] = undefined;
      continue;
    }
    const i = index.get(value.slice(0, eq));
    if (i !== undefined) out[i] = value;
    else out.push(value);
  }
  return out.filter((e): e is string => e !== undefined);
}
