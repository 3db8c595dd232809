// Docker's formatter.Context for lists: a --format that is "json", a "table ..." format (header row
// from the same template over column titles, aligned by tabwriter(10, 1, 3, ' ', 0)), or a plain
// template giving one line per row. Errors read "template parsing error: ..." as docker's do.

import { dockerFuncs, dockerHeaderFuncs } from './docker-funcs.js';
import { TemplateError } from './errors.js';
import { TabWriter } from './tabwriter.js';
import { parseTemplate, Template } from './template.js';

export interface FormatRowsOptions {
  /** What the user gave to --format: "table {{.ID}}\t{{.Names}}", "{{.ID}}", "json", or "table". */
  format: string;
  /** Column titles by field name, e.g. { ID: 'CONTAINER ID' }: the data of the header row. */
  header?: Record<string, string>;
  rows: unknown[];
  /** Used when the format is just "table" (each docker command has its own default columns). */
  defaultTableFormat?: string;
}

export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

function wrap(e: unknown): never {
  if (e instanceof TemplateError) throw new TemplateError(`template parsing error: ${e.message}`, e.phase);
  throw e;
}

/** Docker's preFormat: strip the table keyword, trim spaces, turn literal \t and \n into tabs and newlines. */
function finalFormat(format: string, defaultTableFormat?: string): string {
  let f = format;
  if (f.trim() === 'table' && defaultTableFormat !== undefined) f = defaultTableFormat;
  if (isTableFormat(f)) f = f.slice('table'.length);
  else if (f === 'json') f = '{{json .}}';
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

export function formatRows(opts: FormatRowsOptions): string {
  const table = isTableFormat(opts.format.trim() === 'table' && opts.defaultTableFormat ? opts.defaultTableFormat : opts.format);
  const text = finalFormat(opts.format, opts.defaultTableFormat);
  let tmpl: Template;
  try {
    tmpl = parseTemplate(text, { funcs: dockerFuncs });
  } catch (e) {
    wrap(e);
  }
  let body = '';
  for (const row of opts.rows) {
    try {
      body += tmpl.execute(row) + '\n';
    } catch (e) {
      wrap(e);
    }
  }
  if (!table) return body;
  let head = '';
  try {
    head = tmpl.withFuncs(dockerHeaderFuncs).execute(opts.header ?? {});
  } catch (e) {
    // docker ignores header errors and keeps whatever was written before the failure.
    if (e instanceof TemplateError) head = e.partialOutput ?? '';
    else throw e;
  }
  const tw = new TabWriter(10, 1, 3, ' ', 0);
  tw.write(head);
  tw.write('\n');
  tw.write(body);
  tw.flush();
  return tw.result();
}
