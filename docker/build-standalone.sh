#!/bin/sh
# Build roleprobe as one self-contained folder that needs no Python where it
# runs (PyInstaller, one-folder mode):
#
#   OUT/bin/roleprobe     the executable: ENTRYPOINT ["OUT/bin/roleprobe", "--"]
#   OUT/bin/_internal/    its Python runtime, modules, shared libraries, data
#
# Usage: docker/build-standalone.sh [--python PYTHON] [--wheels DIR] OUT
#
#   --python  the CPython (3.11+) to build with, default python3.  It must
#             come with its shared library: Debian's libpython3.X package,
#             the official python images, pyenv or python.org builds with
#             --enable-shared.
#   --wheels  install roleprobe (its roleprobe-*.whl), its dependencies and
#             PyInstaller from DIR only (pip --no-index): no network.
#             Without it pip installs this source tree and PyInstaller from
#             its configured index.
#
# Also needs objdump (binutils).  The bundle runs on Linux on the same CPU
# architecture with a glibc at least as new as the one the build printed
# ("needs glibc >= ..."); it needs nothing else from the image: no Python, no
# shell, no libssl, no writable directory.  Build it in the same distribution
# release as the final image, or an older one (e.g. bookworm for
# gcr.io/distroless/base-debian12).
#
# OUT is replaced as a whole, and only when the build succeeded.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
python=python3
wheels=
while [ $# -gt 1 ]; do
  case $1 in
    --python) python=$2; shift 2 ;;
    --wheels) wheels=$(cd "$2" && pwd); shift 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 1 ] || [ -z "$1" ] || [ "${1#-}" != "$1" ]; then
  sed -n '8,17p' "$0" >&2
  exit 2
fi
out=$1
command -v objdump >/dev/null || { echo "build-standalone: objdump (binutils) is required" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
staging="$out.building"
rm -rf "$staging"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/roleprobe-standalone.XXXXXX")
trap 'rm -rf "$tmp" "$staging"' EXIT

"$python" -m venv "$tmp/venv"
pip="$tmp/venv/bin/python -m pip --disable-pip-version-check --no-cache-dir -q"
if [ -n "$wheels" ]; then
  set -- "$wheels"/roleprobe-*.whl
  [ $# -eq 1 ] && [ -f "$1" ] || { echo "build-standalone: want exactly one roleprobe-*.whl in $wheels" >&2; exit 1; }
  $pip install --no-index --find-links "$wheels" -r "$here/standalone/requirements.txt" "$1"
else
  $pip install -r "$here/standalone/requirements.txt" "$root"
fi

# Only the botocore data roleprobe can load (docker/botocore-data.txt).
"$tmp/venv/bin/python" -I "$here/botocore_data.py" "$here/botocore-data.txt" >/dev/null

# What goes in, and why, is in the spec.  The PYZ archive at zlib's level 9
# (PyInstaller's default is 6): a little smaller, decompressed as fast.
PYINSTALLER_ZLIB_COMPRESSION_LEVEL=9 "$tmp/venv/bin/pyinstaller" --noconfirm --clean --log-level ERROR \
  --distpath "$staging" --workpath "$tmp/work" "$here/standalone/roleprobe.spec"
mv "$staging/roleprobe" "$staging/bin"

version=$(AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_STS=http://127.0.0.1:9/ \
  "$staging/bin/roleprobe" --version)
glibc=$(find "$staging/bin" -type f \( -name roleprobe -o -name '*.so*' \) -exec objdump -T {} + 2>/dev/null |
        grep -o 'GLIBC_[0-9.]*' | sort -u -t. -k1,1 -k2,2n -k3,3n | tail -1)
rm -rf "$out"
mv "$staging" "$out"
echo "build-standalone: $version in $out ($(du -sh "$out" | cut -f1)), needs glibc >= ${glibc#GLIBC_}"
