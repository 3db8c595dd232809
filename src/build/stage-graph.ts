// Which stages a build runs and in what order: dependencies through `FROM <stage>` and
// `COPY --from=<stage|index>`, the stages the target needs (the others are skipped, which
// Docker's legacy builder does not do), and the `Step N/M` numbering of the stages that run.
import { InvalidParameter } from '../lib/errors.js';
import type { Stage } from './parser/instructions.js';

export interface StagePlan {
  index: number;
  /** Lower-cased AS name, or '' */
  name: string;
  /** The stage FROM names, if it names an earlier stage. */
  baseStage?: number;
  /** Earlier stages this one reads from (base and COPY --from). */
  deps: number[];
  /** Steps this stage prints (FROM plus its instructions). */
  steps: number;
  /** The number of its FROM step in the whole build, counting only stages that run. */
  firstStep: number;
}

export interface BuildPlan {
  stages: StagePlan[];
  /** Stages that run, in Dockerfile order. */
  run: number[];
  skipped: number[];
  target: number;
  totalSteps: number;
}

/** The stage a `--from` value or a FROM base names, if it is an earlier stage. */
export function stageRef(stages: readonly Stage[], before: number, ref: string): number | undefined {
  const lower = ref.toLowerCase();
  for (let i = 0; i < before; i++) if (stages[i]!.name !== '' && stages[i]!.name === lower) return i;
  if (/^[0-9]+$/.test(ref)) {
    const n = Number(ref);
    if (n < before) return n;
  }
  return undefined;
}

/**
 * Plans a build. `baseNames` are the stages' FROM names after meta-ARG expansion. Throws when the
 * target does not exist, as Docker does.
 */
export function planBuild(stages: readonly Stage[], baseNames: readonly string[], target: string): BuildPlan {
  if (stages.length === 0) throw new InvalidParameter('the Dockerfile (Dockerfile) cannot be empty');
  const plans: StagePlan[] = stages.map((s, index) => {
    const deps = new Set<number>();
    const lower = baseNames[index]!.toLowerCase();
    let baseStage: number | undefined;
    for (let i = 0; i < index; i++) if (stages[i]!.name !== '' && stages[i]!.name === lower) baseStage = i;
    if (baseStage !== undefined) deps.add(baseStage);
    for (const instr of s.instructions) {
      if (instr.kind === 'COPY' && instr.from) {
        const ref = stageRef(stages, index, instr.from);
        if (ref !== undefined) deps.add(ref);
      }
    }
    return { index, name: s.name, ...(baseStage !== undefined ? { baseStage } : {}), deps: [...deps].sort((a, b) => a - b), steps: 1 + s.instructions.length, firstStep: 0 };
  });
  let targetIndex = stages.length - 1;
  if (target) {
    const t = stages.findIndex((s) => s.name === target.toLowerCase());
    if (t < 0) throw new InvalidParameter(`failed to reach build target ${target} in Dockerfile`);
    targetIndex = t;
  }
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of plans[i]!.deps) visit(d);
  };
  visit(targetIndex);
  const run = [...needed].sort((a, b) => a - b);
  const skipped = plans.map((p) => p.index).filter((i) => i < targetIndex && !needed.has(i));
  let step = 1;
  for (const i of run) {
    plans[i]!.firstStep = step;
    step += plans[i]!.steps;
  }
  return { stages: plans, run, skipped, target: targetIndex, totalSteps: step - 1 };
}

/** How a stage is named in output: its AS name, or its index. */
export function stageLabel(stages: readonly Stage[], i: number): string {
  return stages[i]!.name || String(i);
}
