// What is mounted where, from /proc/self/mountinfo (paths unescaped: the kernel writes a space
// as \040).
import { readFileSync } from 'node:fs';

export function mountPoints(): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (field) out.add(field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

export function isMountpoint(path: string): boolean {
  return mountPoints().has(path);
}
