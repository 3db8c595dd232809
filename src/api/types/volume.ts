// Engine API shape of a volume (moby api/swagger.yaml Volume), built from the volume store's record.
import type { Volume, VolumeUsage } from '../../volumes/service.js';

export function toApiVolume(v: Volume, mountpoint: string, usage?: VolumeUsage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    CreatedAt: v.CreatedAt,
    Driver: v.Driver,
    Labels: v.Labels,
    Mountpoint: mountpoint,
    Name: v.Name,
    Options: v.Options,
    Scope: 'local',
  };
  // Only `system df` asks for sizes; dockerd leaves UsageData out elsewhere.
  if (usage) out.UsageData = usage;
  return out;
}
