// The /proc and /sys paths Docker hides (masked) or makes read-only inside a container, as in
// moby's default spec. HostConfig.MaskedPaths/ReadonlyPaths replace these lists when given.

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

export function defaultMaskedPaths(thermalThrottlePaths: string[]): string[] {
  return [
    '/proc/acpi',
    '/proc/asound',
    '/proc/interrupts',
    '/proc/kcore',
    '/proc/keys',
    '/proc/latency_stats',
    '/proc/sched_debug',
    '/proc/scsi',
    '/proc/timer_list',
    '/proc/timer_stats',
    '/sys/devices/virtual/powercap',
    '/sys/firmware',
    ...thermalThrottlePaths,
  ];
}

/** null/undefined → Docker's list (none when privileged); an array, even empty, is used as is. */
export function choosePaths(given: string[] | null | undefined, defaults: readonly string[], privileged: boolean): string[] {
  if (given !== null && given !== undefined) return [...given];
  return privileged ? [] : [...defaults];
}
