// The one error type of the template engine. Messages follow Go's text/template wording
// ("template: NAME:LINE: ..." for parse errors, "... executing "NAME" at <NODE>: ..." at run time).

export class TemplateError extends Error {
  constructor(
    message: string,
    /** 'parse' for errors found while parsing, 'exec' for errors while executing. */
    readonly phase: 'parse' | 'exec',
    /** What an execution had written before it failed (Go's writer keeps it too). */
    readonly partialOutput?: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}
