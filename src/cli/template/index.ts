// Public face of the Go text/template implementation used by berth's --format flags.

import { dockerFuncs } from './docker-funcs.js';
import { parseTemplate, Template } from './template.js';

export { parseTemplate, Template } from './template.js';
export type { ParseOptions } from './template.js';
export { TemplateError } from './errors.js';
export { asGoStruct } from './exec.js';
export type { GoFunc, ParamType } from './funcs.js';
export { GoFloat } from './values.js';
export { sprintf, sprint, sprintln } from './fmt.js';
export { dockerFuncs, dockerHeaderFuncs } from './docker-funcs.js';
export { goJSON } from './gojson.js';
export { TabWriter, TabWriterFlags } from './tabwriter.js';
export { formatRows, isTableFormat } from './table.js';
export type { FormatRowsOptions } from './table.js';

/** Parse with Docker's template functions (docker/cli templates.Parse). */
export function parseDockerTemplate(text: string, name = ''): Template {
  return parseTemplate(text, { name, funcs: dockerFuncs });
}

/** Render `text` against `data` the way `docker ... --format` does for one object. */
export function renderTemplate(text: string, data: unknown): string {
  return parseDockerTemplate(text).execute(data);
}
