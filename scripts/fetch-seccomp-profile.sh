#!/usr/bin/env bash
# Takes Docker's default seccomp profile out of Debian's golang-github-docker-docker-dev package
# (it ships the profile as data) and installs it where berthd looks: /usr/share/berth/seccomp.json.
set -euo pipefail
dest=/usr/share/berth/seccomp.json
[ -s "$dest" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -qq golang-github-docker-docker-dev >/dev/null 2>&1) || {
  apt-get update -qq && (cd "$tmp" && apt-get download -qq golang-github-docker-docker-dev)
}
dpkg-deb -x "$tmp"/golang-github-docker-docker-dev_*.deb "$tmp/x"
src=$(find "$tmp/x" -path '*profiles/seccomp/default.json' | head -n 1)
[ -n "$src" ] || { echo "default.json not found in golang-github-docker-docker-dev" >&2; exit 1; }
mkdir -p "$(dirname "$dest")"
install -m 0644 "$src" "$dest"
echo "installed Docker's default seccomp profile at $dest"
