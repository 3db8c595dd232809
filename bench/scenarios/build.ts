// Scenario build (on request): Dockerfile builds through the docker CLI's legacy builder
// (DOCKER_BUILDKIT=0, so both daemons serve POST /build) on berthd and dockerd: a small two-stage
// busybox build with a few MiB of context, cold (--no-cache) and fully cached, and the COPY of one
// 200 MiB file (cold). RUN steps use --network none (the bench's dockerd has no bridge). Rows
// interleaved per round; prints p50s, ratios and the build issue's targets.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import type { Engine } from '../engines/engine.js';
import { must } from '../proc.js';
import { summarize, table, ratio, ms } from '../stats.js';
import { onCleanup } from '../cleanup.js';

const ROUNDS = 5;
const COPY_ROUNDS = 3;
const BIG_BYTES = 200 << 20;

const TWO_STAGE = `FROM busybox AS build
COPY src/ /src/
RUN cat /src/*.bin | md5sum > /sum && mkdir /out && cp /src/a.bin /src/notes.txt /out/
RUN echo built > /out/marker
FROM busybox
WORKDIR /app
COPY --from=build /out/ /app/
COPY --from=build /sum /app/sum
RUN ls -l /app > /app/listing
ENV MODE=bench
CMD ["cat", "/app/listing"]
`;

function writeContexts(work: string): { small: string; big: string } {
  const small = join(work, 'small');
  mkdirSync(join(small, 'src'), { recursive: true });
  writeFileSync(join(small, 'Dockerfile'), TWO_STAGE);
  // 4 MiB in four files, plus a small text file.
  for (const name of ['a', 'b', 'c', 'd']) writeFileSync(join(small, 'src', `${name}.bin`), randomBytes(1 << 20));
  writeFileSync(join(small, 'src', 'notes.txt'), 'notes\n'.repeat(1000));
  const big = join(work, 'big');
  mkdirSync(big, { recursive: true });
  writeFileSync(join(big, 'Dockerfile'), 'FROM busybox\nCOPY big.bin /big.bin\n');
  const chunk = randomBytes(1 << 20);
  const parts: Buffer[] = [];
  // Distinct bytes per MiB (a counter in each), so nothing along the way can dedupe or shrink it.
  for (let i = 0; i < BIG_BYTES >> 20; i++) {
    const b = Buffer.from(chunk);
    b.writeUInt32BE(i, 0);
    parts.push(b);
  }
  writeFileSync(join(big, 'big.bin'), Buffer.concat(parts));
  return { small, big };
}

function build(e: Engine, args: string[]) {
  const c = e.cli(['build', '--network', 'none', ...args]);
  return must({ ...c, env: { ...(c.env ?? process.env), DOCKER_BUILDKIT: '0' } }, { timeoutMs: 600_000 });
}

export async function buildBench(ctx: BenchContext): Promise<void> {
  const engines = ctx.engines.filter((e) => e.name === 'berthd' || e.name === 'dockerd');
  const work = mkdtempSync('/tmp/berth-bench-build-');
  onCleanup('build work dir', async () => rmSync(work, { recursive: true, force: true }));
  process.stderr.write(`build: writing contexts (4 MiB small, ${BIG_BYTES >> 20} MiB big)\n`);
  const { small, big } = writeContexts(work);

  const samples = new Map<string, { cold: number[]; cached: number[]; copy: number[] }>();
  const of = (e: Engine) => samples.get(e.name) ?? samples.set(e.name, { cold: [], cached: [], copy: [] }).get(e.name)!;
  for (const e of engines) {
    // Untimed: warms the page cache and each daemon's code paths alike.
    await build(e, ['-q', '-t', 'bench-build:warm', small]);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const e of engines) {
      process.stderr.write(`build: round ${round}/${ROUNDS}, ${e.name}\n`);
      const cold = await build(e, ['--no-cache', '-t', 'bench-build:1', small]);
      const cached = await build(e, ['-t', 'bench-build:1', small]);
      if (!/Using cache/.test(cached.stdout)) throw new Error(`${e.name}: the second build was not cached:\n${cached.stdout}`);
      of(e).cold.push(cold.ms);
      of(e).cached.push(cached.ms);
    }
  }
  for (let round = 1; round <= COPY_ROUNDS; round++) {
    for (const e of engines) {
      process.stderr.write(`build: COPY of ${BIG_BYTES >> 20} MiB, round ${round}/${COPY_ROUNDS}, ${e.name}\n`);
      of(e).copy.push((await build(e, ['--no-cache', '-q', '-t', 'bench-build:big', big])).ms);
      // Keep the disk from filling up with one 200 MiB layer per round.
      await must(e.cli(['rmi', '-f', 'bench-build:big']));
    }
  }

  const p50 = (name: string, what: 'cold' | 'cached' | 'copy') => {
    const s = samples.get(name);
    return s ? summarize(s[what]).p50 : NaN;
  };
  const mibps = (v: number) => (Number.isFinite(v) ? `${((BIG_BYTES / 2 ** 20) / (v / 1000)).toFixed(0)} MiB/s` : '-');
  console.log(`\n## build: legacy builder, two-stage busybox build with 4 MiB of context (p50 of ${ROUNDS}); COPY of ${BIG_BYTES >> 20} MiB (p50 of ${COPY_ROUNDS})\n`);
  console.log(
    table(
      ['engine', 'cold', 'cached', `COPY ${BIG_BYTES >> 20} MiB`, 'COPY rate', 'cold vs dockerd', 'cached vs dockerd', 'COPY vs dockerd'],
      engines.map((e) => [
        e.name,
        ms(p50(e.name, 'cold')),
        ms(p50(e.name, 'cached')),
        ms(p50(e.name, 'copy')),
        mibps(p50(e.name, 'copy')),
        ratio(p50(e.name, 'cold'), p50('dockerd', 'cold')),
        ratio(p50(e.name, 'cached'), p50('dockerd', 'cached')),
        ratio(p50(e.name, 'copy'), p50('dockerd', 'copy')),
      ]),
      [0],
    ),
  );

  console.log(`\n## build targets\n`);
  const verdict = (v: number, limit: number) => (Number.isFinite(v) ? (v <= limit ? 'PASS' : 'MISS') : 'n/a');
  const rows: string[][] = [];
  const cold = p50('berthd', 'cold') / p50('dockerd', 'cold');
  const cached = p50('berthd', 'cached') / p50('dockerd', 'cached');
  const copy = p50('berthd', 'copy') / p50('dockerd', 'copy');
  rows.push(['cold build ≤ 0.5x dockerd', Number.isFinite(cold) ? `${cold.toFixed(2)}x` : '-', verdict(cold, 0.5)]);
  rows.push(['fully cached rebuild ≤ 0.5x dockerd', Number.isFinite(cached) ? `${cached.toFixed(2)}x` : '-', verdict(cached, 0.5)]);
  rows.push([`COPY throughput ≥ dockerd's (${BIG_BYTES >> 20} MiB, time ≤ 1.0x)`, Number.isFinite(copy) ? `${copy.toFixed(2)}x` : '-', verdict(copy, 1)]);
  console.log(table(['target', 'measured', ''], rows));
}
