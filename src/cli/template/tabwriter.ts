// Go's text/tabwriter (as forked by docker/cli, which measures cells with East Asian widths):
// tab-terminated cells in consecutive lines form column blocks padded to a common width.
// Text is buffered until flush(), like the Go writer.

export const TabWriterFlags = {
  FilterHTML: 1,
  StripEscape: 2,
  AlignRight: 4,
  DiscardEmptyColumns: 8,
  TabIndent: 16,
  Debug: 32,
} as const;

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

/** Display width of a string: wide East Asian characters count 2, combining marks 0. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    if (r < 0x300) {
      w += r >= 0x20 && r !== 0x7f ? 1 : 0;
      continue;
    }
    if (/^[\p{Mn}\p{Me}\u200b-\u200f]$/u.test(ch)) continue;
    const wide =
      (r >= 0x1100 && r <= 0x115f) || (r >= 0x2e80 && r <= 0x303e) || (r >= 0x3041 && r <= 0x33ff) ||
      (r >= 0x3400 && r <= 0x4dbf) || (r >= 0x4e00 && r <= 0x9fff) || (r >= 0xa000 && r <= 0xa4cf) ||
      (r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) ||
      (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6) || (r >= 0x1f300 && r <= 0x1f64f) ||
      (r >= 0x1f900 && r <= 0x1f9ff) || (r >= 0x20000 && r <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell: Cell = { text: '', width: 0, htab: false };
  private widths: number[] = [];
  private readonly out: string[] = [];
  private readonly flags: number;

  constructor(
    private readonly minwidth: number,
    private readonly tabwidth: number,
    private readonly padding: number,
    private readonly padchar: string = ' ',
    flags = 0,
    private readonly sink?: (chunk: string) => void,
  ) {
    if (minwidth < 0 || tabwidth < 0 || padding < 0) throw new RangeError('negative minwidth, tabwidth, or padding');
    // Tab padding forces left alignment.
    this.flags = padchar === '\t' ? flags & ~TabWriterFlags.AlignRight : flags;
  }

  private emit(s: string): void {
    if (s === '') return;
    if (this.sink) this.sink(s);
    else this.out.push(s);
  }

  /** Text written so far (when no sink was given). */
  result(): string {
    return this.out.join('');
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell.text += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        if (ch === '\f' || ncells === 1) {
          // A one-cell line cannot affect later columns, so everything so far can be formatted.
          this.flushInternal();
          if (ch === '\f' && this.flags & TabWriterFlags.Debug) this.emit('---\n');
        }
      }
    }
    this.cell.text += text.slice(start);
  }

  flush(): void {
    this.flushInternal();
  }

  private terminateCell(htab: boolean): number {
    this.cell.width = displayWidth(this.cell.text);
    this.cell.htab = htab;
    const line = this.lines[this.lines.length - 1]!;
    line.push(this.cell);
    this.cell = { text: '', width: 0, htab: false };
    return line.length;
  }

  private flushInternal(): void {
    if (this.cell.text.length > 0) this.terminateCell(false);
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
    this.cell = { text: '', width: 0, htab: false };
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.padchar === '\t' || useTabs) {
      if (this.tabwidth === 0) return;
      cellw = Math.ceil(cellw / this.tabwidth) * this.tabwidth;
      const n = cellw - textw;
      this.emit('\t'.repeat(Math.ceil(n / this.tabwidth)));
      return;
    }
    if (cellw > textw) this.emit(this.padchar.repeat(cellw - textw));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      let useTabs = (this.flags & TabWriterFlags.TabIndent) !== 0;
      line.forEach((c, j) => {
        if (j > 0 && this.flags & TabWriterFlags.Debug) this.emit('|');
        if (c.text.length === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, useTabs);
          return;
        }
        useTabs = false;
        if ((this.flags & TabWriterFlags.AlignRight) === 0) {
          this.emit(c.text);
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, false);
        } else {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, false);
          this.emit(c.text);
        }
      });
      if (i + 1 === this.lines.length) this.emit(this.cell.text);
      else this.emit('\n');
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.lines[cur]!.length - 1) continue;
      // A cell in this column starts a block: print the lines before it, then size the block.
      this.writeLines(line0, cur);
      line0 = cur;
      let width = this.minwidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        const line = this.lines[cur]!;
        if (column >= line.length - 1) break;
        const c = line[column]!;
        width = Math.max(width, c.width + this.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.flags & TabWriterFlags.DiscardEmptyColumns) width = 0;
      this.widths.push(width);
      this.format(line0, cur);
      this.widths.pop();
      line0 = cur;
    }
    this.writeLines(line0, line1);
  }
}
