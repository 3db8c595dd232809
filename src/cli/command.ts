// The shape of a berth command (docker/cli's cobra.Command as far as berth needs it): usage line,
// flags, argument-count rule and the action, plus the context actions run in (streams, client).

import type { Readable } from 'node:stream';
import type { EngineClient } from './client.js';
import type { CliConfig } from './config/cli-config.js';
import type { FlagSpec, ParsedFlags } from './flags.js';

export interface CommandContext {
  /** The engine client, created on first use so that flag errors never need a daemon. */
  client(): EngineClient;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** "berth run" or "berth container run": how the user spelled the command. */
  commandPath: string;
  /** config.json, the context store and the chosen endpoint (loaded on first use). */
  config: CliConfig;
}

export type ArgRule =
  | { kind: 'none' }
  | { kind: 'min'; n: number }
  | { kind: 'exact'; n: number }
  | { kind: 'range'; min: number; max: number };

export interface Command {
  name: string;
  /** What follows the command path in "Usage:", e.g. "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string;
  short: string;
  /** The description --help prints, when it says more than `short`. */
  long?: string;
  flags: FlagSpec[];
  args: ArgRule;
  /** Left out of help listings (docker's hidden commands such as `system dial-stdio`). */
  hidden?: boolean;
  /** false: flags stop at the first positional argument (run, exec, create). */
  interspersed?: boolean;
  /** The action; its result is the exit code (0 when nothing is returned). */
  run(ctx: CommandContext, flags: ParsedFlags): Promise<number | void>;
}

export interface CommandGroup {
  name: string;
  short: string;
  commands: Command[];
}

export const noArgs: ArgRule = { kind: 'none' };
export const minArgs = (n: number): ArgRule => ({ kind: 'min', n });
export const exactArgs = (n: number): ArgRule => ({ kind: 'exact', n });
export const rangeArgs = (min: number, max: number): ArgRule => ({ kind: 'range', min, max });

/** docker's --format help text for list commands (ps, images). */
export const listFormatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

/** docker's --format help text for single-object commands (inspect, version, info). */
export const inspectFormatHelp = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;
