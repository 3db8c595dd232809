// Parses HostConfig.SecurityOpt the way dockerd does. SELinux labels and AppArmor profiles are
// accepted and ignored: this kernel has neither. A seccomp value is a profile's JSON (the docker
// CLI reads the file client-side), `unconfined`, `builtin`, or a path Berth reads itself.
import { InvalidParameter } from '../../lib/errors.js';

export type SeccompChoice =
  | { kind: 'default' }
  | { kind: 'unconfined' }
  | { kind: 'json'; body: string }
  | { kind: 'file'; path: string };

export interface SecurityOptions {
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
}

function parseBool(v: string): boolean | undefined {
  // Go's strconv.ParseBool
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export function parseSecurityOpts(opts: string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: { kind: 'default' } };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable' || opt === 'writable-cgroups') continue;
    // `=` is the separator; `:` is Docker's deprecated one, still accepted.
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (sep === '') throw new InvalidParameter(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const i = opt.indexOf(sep);
    const key = opt.slice(0, i);
    const value = opt.slice(i + 1);
    switch (key) {
      case 'label':
      case 'apparmor':
        break;
      case 'seccomp':
        out.seccomp = seccompChoice(value);
        break;
      case 'no-new-privileges':
      case 'writable-cgroups': {
        const b = parseBool(value);
        if (b === undefined) throw new InvalidParameter(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        if (key === 'no-new-privileges') out.noNewPrivileges = b;
        break;
      }
      default:
        throw new InvalidParameter(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

function seccompChoice(value: string): SeccompChoice {
  if (value === 'unconfined') return { kind: 'unconfined' };
  if (value === 'builtin' || value === '') return { kind: 'default' };
  if (value.trimStart().startsWith('{')) return { kind: 'json', body: value };
  return { kind: 'file', path: value };
}
