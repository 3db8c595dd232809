// The yes/no confirmation the prune commands ask before deleting anything, with docker/cli's
// wording: "Are you sure you want to continue? [y/N] "; only "y"/"yes" on stdin goes ahead.

import { createInterface } from 'node:readline';
import type { CommandContext } from './command.js';

export async function confirm(ctx: CommandContext, question = 'Are you sure you want to continue?'): Promise<boolean> {
  ctx.stdout.write(`${question} [y/N] `);
  const rl = createInterface({ input: ctx.stdin });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
