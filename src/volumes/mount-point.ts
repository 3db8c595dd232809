// A container's resolved attachment as its record keeps it (dockerd's MountPoint), and the shape
// `inspect` and `ps` show for it.

export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** Volume name (volumes only). */
  Name?: string;
  /** Host path: the bind source or the volume's data directory; '' for tmpfs. */
  Source: string;
  Destination: string;
  /** Volume driver (volumes only). */
  Driver?: string;
  /** The -v mode as given ('z' for a local volume given without one, as dockerd records it). */
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Copy the image's files into the volume when it is empty at start. */
  CopyData: boolean;
  /** A volume made for this container (`-v /path`, image VOLUME, --mount without source). */
  Anonymous?: boolean;
  /** -v binds create a missing host directory at start. */
  CreateSource?: boolean;
  NonRecursive?: boolean;
  /** tmpfs mount data (size=…,mode=…). */
  TmpfsData?: string;
}

/** types.MountPoint of the Engine API. */
export function apiMountPoint(m: MountPoint): Record<string, unknown> {
  const out: Record<string, unknown> = { Type: m.Type };
  if (m.Name) out.Name = m.Name;
  out.Source = m.Source;
  out.Destination = m.Destination;
  if (m.Driver) out.Driver = m.Driver;
  out.Mode = m.Mode;
  out.RW = m.RW;
  out.Propagation = m.Propagation;
  return out;
}
