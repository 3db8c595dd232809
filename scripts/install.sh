#!/usr/bin/env bash
# Installs everything Berth needs on Debian 12, idempotently: Debian packages, Docker's default
# seccomp profile (shipped as data by golang-github-docker-docker-dev), npm dependencies and the
# build. Without --no-start it then starts berthd, creates busybox:latest and runs a first container.
set -euo pipefail
cd "$(dirname "$0")/.."

start=1
for a in "$@"; do
  case "$a" in
    --no-start) start=0 ;;
    *) echo "usage: $0 [--no-start]" >&2; exit 2 ;;
  esac
done

packages=(crun runc conmon catatonit tini iproute2 nftables iptables busybox-static
  btrfs-progs xfsprogs etcd-server etcd-client skopeo docker-registry util-linux procps
  docker-compose passwd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/fetch-seccomp-profile.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build

if [ "$start" = 1 ]; then
  mkdir -p /var/lib/berth /run/berth
  if ! bin/berth version >/dev/null 2>&1; then
    echo "starting berthd (log: /var/log/berthd.log)"
    nohup bin/berthd >>/var/log/berthd.log 2>&1 &
    for _ in $(seq 1 50); do bin/berth version >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  bin/berth bootstrap
  bin/berth run --rm busybox echo "hello from your first Berth container"
fi
