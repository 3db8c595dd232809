// Docker's merge of an image's config into a new container's config: the user's values win;
// unset ones come from the image (daemon/create's merge rules).
import type { ContainerImageConfig } from '../images/store.js';
import type { ApiConfig } from './model.js';
import { mergeHealthcheck, type ApiHealthcheck } from './health-state.js';

export function mergeImageConfig(user: ApiConfig, image: ContainerImageConfig): ApiConfig {
  const c: ApiConfig = { ...user };
  if (!c.User && image.User) c.User = image.User;
  if (image.ExposedPorts) c.ExposedPorts = { ...image.ExposedPorts, ...(c.ExposedPorts ?? {}) };
  const env = [...(image.Env ?? [])];
  for (const e of c.Env ?? []) {
    const key = e.split('=')[0];
    const i = env.findIndex((x) => x.split('=')[0] === key);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  c.Env = env;
  if (image.Labels) c.Labels = { ...image.Labels, ...(c.Labels ?? {}) };
  // `--entrypoint ""` clears the image's entrypoint and, like any entrypoint, its cmd.
  const userEntrypoint = c.Entrypoint;
  if (!userEntrypoint || userEntrypoint.length === 0) {
    if (!c.Cmd || c.Cmd.length === 0) c.Cmd = image.Cmd ?? null;
    if (userEntrypoint == null) c.Entrypoint = image.Entrypoint ?? null;
  }
  if (c.Entrypoint && c.Entrypoint.length === 1 && c.Entrypoint[0] === '') c.Entrypoint = null;
  if (!c.WorkingDir && image.WorkingDir) c.WorkingDir = image.WorkingDir;
  if (image.Volumes) c.Volumes = { ...image.Volumes, ...(c.Volumes ?? {}) };
  if (!c.StopSignal && image.StopSignal) c.StopSignal = image.StopSignal;
  c.Healthcheck = mergeHealthcheck(c.Healthcheck as ApiHealthcheck | null | undefined, image.Healthcheck as ApiHealthcheck | null | undefined) as ApiConfig['Healthcheck'];
  if (image.OnBuild && !c.OnBuild) c.OnBuild = image.OnBuild;
  if (image.Shell && !c.Shell) c.Shell = image.Shell;
  return c;
}
