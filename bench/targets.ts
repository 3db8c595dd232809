// The engine-core issue's targets for berthd, checked against what this run measured. A target
// whose scenario did not run, or ran under other conditions (ps with fewer than 1000
// containers), is reported but not judged.
import type { Results } from './context.js';
import { table, ms, mib } from './stats.js';

interface Verdict {
  target: string;
  measured: string;
  verdict: 'PASS' | 'MISS' | 'n/a';
  note: string;
}

export function judge(r: Results): Verdict[] {
  const out: Verdict[] = [];
  const run = r.runRm.get('berthd');
  const check = (target: string, value: number | undefined, limit: number, show: (v: number) => string, note = ''): void => {
    if (value === undefined || !Number.isFinite(value)) out.push({ target, measured: 'not run', verdict: 'n/a', note });
    else out.push({ target, measured: show(value), verdict: value <= limit ? 'PASS' : 'MISS', note: value <= limit ? note : `${show(value - limit)} over (${((value / limit - 1) * 100).toFixed(0)}%)${note ? '; ' + note : ''}` });
  };
  const docker = r.runRm.get('dockerd')?.p50;
  const podman = r.runRm.get('podman')?.p50;
  const vs = [docker && run ? `${(docker / run.p50).toFixed(1)}x faster than dockerd` : '', podman && run ? `${(podman / run.p50).toFixed(1)}x faster than podman` : ''].filter(Boolean).join(', ');
  check('run --rm p50 <= 60 ms (docker CLI, --network none)', run?.p50, 60, ms, vs);
  check('run --rm p50 <= 45 ms (stretch)', run?.p50, 45, ms);
  const rss = r.idleRss.get('berthd');
  check('idle daemon RSS < 80 MiB (after the run --rm loop)', rss?.afterRuns ?? rss?.afterStart, 80 * 1024, mib, rss?.afterRuns === undefined && rss ? 'measured right after start only' : '');
  const pc = r.perContainer.get('berthd');
  check('PSS per running container outside the daemon < 1.5 MiB', pc?.pssKiB, 1.5 * 1024, mib);
  const ps = r.psMany.get('berthd');
  if (ps && ps.containers < 1000) {
    out.push({ target: 'ps with 1000 running containers < 50 ms', measured: `${ms(ps.summary.p50)} with ${ps.containers}`, verdict: 'n/a', note: 'rerun with --containers 1000' });
  } else {
    check('ps with 1000 running containers < 50 ms', ps?.summary.p50, 50, ms, ps?.cliFloor ? `the docker CLI alone, served the same answer at once, takes ${ms(ps.cliFloor.p50)}` : '');
  }
  return out;
}

export function printTargets(r: Results): void {
  console.log(`\n## targets (berthd)\n`);
  console.log(table(['target', 'measured', 'verdict', 'note'], judge(r).map((v) => [v.target, v.measured, v.verdict, v.note]), [1, 2, 3]));
}
