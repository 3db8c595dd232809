// The berth CLI's TLS settings, resolved as docker/cli does: --tlsverify or DOCKER_TLS_VERIFY
// verify the daemon against the CA, --tls alone encrypts without verifying, and the files default
// to ca.pem/cert.pem/key.pem in DOCKER_CERT_PATH (or ~/.docker).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ClientTls {
  /** Verify the daemon's certificate against `ca` (and its name against the host dialled). */
  verify: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface TlsFlagValues {
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/** Undefined when the connection is plain. Throws with docker's wording when a named file is missing. */
export function resolveClientTls(flags: TlsFlagValues, env: NodeJS.ProcessEnv = process.env): ClientTls | undefined {
  const verify = flags.tlsverify ?? (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
  if (!verify && !flags.tls) return undefined;
  const dir = env.DOCKER_CERT_PATH || join(env.HOME || homedir(), '.docker');
  // A path given on the command line must exist; a default path is used only when it does.
  const load = (given: string | undefined, fallback: string): Buffer | undefined => {
    const path = given ?? join(dir, fallback);
    if (given === undefined && !existsSync(path)) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`could not read ${path}: ${(err as Error).message}`);
    }
  };
  const out: ClientTls = { verify, ca: load(flags.tlscacert, 'ca.pem'), cert: load(flags.tlscert, 'cert.pem'), key: load(flags.tlskey, 'key.pem') };
  if ((out.cert === undefined) !== (out.key === undefined)) {
    throw new Error('Could not load X509 key pair: both a certificate (--tlscert) and a key (--tlskey) are needed');
  }
  return out;
}

/** The global flags as resolveClientTls wants them: --tlsverify unset is not the same as false. */
export function tlsFlagValues(flags: { bool(n: string): boolean; string(n: string): string; changed(n: string): boolean }): TlsFlagValues {
  const str = (n: string): string | undefined => (flags.changed(n) ? flags.string(n) : undefined);
  return {
    tls: flags.bool('tls'),
    tlsverify: flags.changed('tlsverify') ? flags.bool('tlsverify') : undefined,
    tlscacert: str('tlscacert'),
    tlscert: str('tlscert'),
    tlskey: str('tlskey'),
  };
}
