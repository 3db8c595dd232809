// berthd's entry point: parse flags, start the daemon, wire signals.
import { loadConfig } from './config.js';
import { Daemon } from './daemon.js';
import { BERTH_VERSION } from './system-info.js';
import { errorMessage } from '../lib/errors.js';

const USAGE = `Usage:	berthd [OPTIONS]

A container engine that speaks the Docker Engine API

Options:
      --config-file string      Daemon configuration file (default "/etc/berth/daemon.json")
      --data-root string        Root directory of persistent Berth state (default "/var/lib/berth")
      --exec-root string        Root directory for execution state files (default "/run/berth")
      --default-runtime string  Default OCI runtime for containers (default "crun")
      --cgroup-parent string    Parent cgroup for all containers
  -G, --group string            Group for the unix socket (default "docker")
  -H, --host list               Daemon socket(s) to connect to (default unix:///run/berth.sock)
      --live-restore            Keep containers running while the daemon is down (default true)
  -l, --log-level string        Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -p, --pidfile string          Path to use for daemon PID file (default "/run/berth.pid")
  -s, --storage-driver string   Storage driver to use: overlay2, vfs, btrfs (default "overlay2")
      --storage-opt list        Storage driver options (e.g. overlay2.size=10G)
      --tls                     Use TLS; implied by --tlsverify
      --tlscacert string        Trust certs signed only by this CA (default "~/.docker/ca.pem")
      --tlscert string          Path to TLS certificate file (default "~/.docker/cert.pem")
      --tlskey string           Path to TLS key file (default "~/.docker/key.pem")
      --tlsverify               Use TLS and verify the remote
  -D, --debug                   Enable debug mode
  -v, --version                 Print version information and quit
`;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = loadConfig(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`berthd: ${errorMessage(err)}\n`);
    process.exit(1);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (parsed.version) {
    process.stdout.write(`Berth version ${BERTH_VERSION}\n`);
    return;
  }
  const daemon = new Daemon(parsed.config);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    daemon.stop().then(
      () => process.exit(0),
      (err) => {
        daemon.log.error(`shutdown: ${errorMessage(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => daemon.reload());
  process.on('SIGPIPE', () => undefined);
  try {
    await daemon.start();
  } catch (err) {
    daemon.log.error(`failed to start daemon: ${errorMessage(err)}`);
    process.exit(1);
  }
}

void main();
