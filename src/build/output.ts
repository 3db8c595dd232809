// The build's JSON-message stream, kept readable while stages run concurrently: the first
// unfinished stage (in Dockerfile order) streams live; later stages are held back and emitted as
// whole blocks once every stage before them is done.

export interface JsonMessage {
  stream?: string;
  status?: string;
  /** Pull progress of FROM images, as the pull route sends it. */
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: { ID: string };
  error?: string;
  errorDetail?: { message: string; code?: number };
}

export type Sink = (m: JsonMessage) => void;

export class StageOutput {
  private buffer: JsonMessage[] = [];
  private live = false;
  finished = false;

  constructor(private readonly sink: Sink) {}

  write(m: JsonMessage): void {
    if (this.live) this.sink(m);
    else this.buffer.push(m);
  }

  stream(text: string): void {
    this.write({ stream: text });
  }

  /** Becomes the head: flushes what it held and streams from now on. */
  goLive(): void {
    this.live = true;
    for (const m of this.buffer) this.sink(m);
    this.buffer = [];
  }
}

export class OrderedOutput {
  private readonly outputs: StageOutput[];
  private head = 0;

  /** `count` outputs in emission order. */
  constructor(count: number, private readonly sink: Sink) {
    this.outputs = Array.from({ length: count }, () => new StageOutput(sink));
    this.outputs[0]?.goLive();
  }

  at(position: number): StageOutput {
    return this.outputs[position]!;
  }

  /** Marks an output finished and hands the stream on to the next unfinished one. */
  finish(position: number): void {
    this.outputs[position]!.finished = true;
    while (this.head < this.outputs.length && this.outputs[this.head]!.finished) {
      this.head++;
      this.outputs[this.head]?.goLive();
    }
  }

  /** Emits everything still held (a build that failed part-way), in order. */
  flushAll(): void {
    for (let i = this.head; i < this.outputs.length; i++) this.outputs[i]!.goLive();
    this.head = this.outputs.length;
  }

  direct(m: JsonMessage): void {
    this.sink(m);
  }
}
