// What one berth invocation is configured with: the config directory, config.json, the context
// store, and which daemon to talk to. The context is chosen as docker/cli chooses it: --context,
// then -H / DOCKER_HOST / BERTH_HOST (the default context), DOCKER_CONTEXT, currentContext.

import { EngineClient, resolveHost } from '../client.js';
import { resolveClientTls, type ClientTls, type TlsFlagValues } from '../tls.js';
import { ConfigFile, configDir } from './config-file.js';
import { ContextStore, DEFAULT_CONTEXT, type ContextMeta } from './contexts.js';

export interface CliConfigOptions {
  /** --config when given on the command line. */
  configFlag?: string;
  hosts: string[];
  /** -c/--context when given. */
  context?: string;
  tls: TlsFlagValues;
  env: NodeJS.ProcessEnv;
  warn: (line: string) => void;
}

export interface Endpoint {
  host: string;
  tls?: ClientTls;
  /** False when the endpoint comes from the context store (SkipTLSVerify shown as stored). */
  skipTLSVerify: boolean;
}

export class CliConfig {
  readonly dir: string;
  private loaded: ConfigFile | undefined;
  private store: ContextStore | undefined;

  constructor(private readonly opts: CliConfigOptions) {
    this.dir = configDir(opts.configFlag, opts.env);
  }

  get env(): NodeJS.ProcessEnv {
    return this.opts.env;
  }

  file(): ConfigFile {
    return (this.loaded ??= ConfigFile.load(this.dir, this.opts.warn));
  }

  contexts(): ContextStore {
    return (this.store ??= new ContextStore(this.dir));
  }

  /** True when DOCKER_HOST (or BERTH_HOST) overrides any context but an explicit --context. */
  get hostFromEnvironment(): boolean {
    return Boolean(this.opts.env.DOCKER_HOST || this.opts.env.BERTH_HOST);
  }

  currentContextName(): string {
    if (this.opts.context && this.opts.hosts.length) throw new Error('conflicting options: cannot specify both --host and --context');
    if (this.opts.context) return this.opts.context;
    if (this.opts.hosts.length || this.hostFromEnvironment) return DEFAULT_CONTEXT;
    if (this.opts.env.DOCKER_CONTEXT) return this.opts.env.DOCKER_CONTEXT;
    return this.file().currentContext || DEFAULT_CONTEXT;
  }

  /** The endpoint of the default context: -H, BERTH_HOST, DOCKER_HOST or the default socket. */
  defaultEndpoint(): Endpoint {
    const tls = resolveClientTls(this.opts.tls, this.opts.env);
    return { host: resolveHost(this.opts.hosts[0], this.opts.env), tls, skipTLSVerify: false };
  }

  /** A stored context's docker endpoint; TLS when it has TLS files or skips verification. */
  storedEndpoint(meta: ContextMeta): Endpoint {
    const docker = meta.Endpoints.docker;
    if (!docker) throw new Error(`context "${meta.Name}": no docker endpoint`);
    const files = this.contexts().tls(meta.Name);
    const hasTls = Object.keys(files).length > 0 || docker.SkipTLSVerify;
    const tls: ClientTls | undefined = hasTls ? { verify: !docker.SkipTLSVerify, ca: files['ca.pem'], cert: files['cert.pem'], key: files['key.pem'] } : undefined;
    return { host: docker.Host, tls, skipTLSVerify: docker.SkipTLSVerify };
  }

  /** The endpoint commands connect to; a context that cannot be loaded fails as docker fails. */
  endpoint(): Endpoint {
    const name = this.currentContextName();
    if (name === DEFAULT_CONTEXT) return this.defaultEndpoint();
    try {
      return this.storedEndpoint(this.contexts().get(name));
    } catch (err) {
      throw new Error(`Failed to initialize: unable to resolve docker endpoint: ${(err as Error).message}`);
    }
  }
}

/** The engine client for the chosen endpoint (DOCKER_API_VERSION pins the API version). */
export function engineClientFor(config: CliConfig): EngineClient {
  const e = config.endpoint();
  return new EngineClient(e.host, { version: config.env.BERTH_API_VERSION || config.env.DOCKER_API_VERSION || undefined, tls: e.tls });
}
