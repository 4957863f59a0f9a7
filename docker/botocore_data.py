"""Keep only the botocore data files that docker/botocore-data.txt lists.

    python3 docker/botocore_data.py docker/botocore-data.txt

deletes every other entry of the installed botocore's ``data`` folder (run it
with the Python roleprobe is installed in), and gzips the large shared files
it keeps (endpoints.json: 1.2 MB, 0.1 MB gzipped), which botocore reads as
``.json.gz`` as it does its service models.  docker/Dockerfile runs it on
/opt/roleprobe, docker/build-standalone.sh on the venv it bundles.  An entry that
botocore does not have is an error, so that a rename in botocore cannot
silently leave roleprobe without a model it needs.
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

GZIP_OVER = 64 * 1024  # bytes: shared files larger than this are gzipped


def allowed(listing: Path) -> frozenset[str]:
    """Return the entries of botocore/data that *listing* keeps."""
    lines = listing.read_text(encoding="utf-8").splitlines()
    return frozenset(s for s in (x.strip() for x in lines) if s and s[0] != "#")


def wanted(relative: str, keep: frozenset[str]) -> bool:
    """Whether the file at *relative* (to botocore/data, "/"-separated) is kept."""
    return relative.split("/", 1)[0].removesuffix(".gz") in keep


def trim(data: Path, keep: frozenset[str]) -> int:
    """Delete what *keep* drops from *data*; return the bytes freed."""
    missing = sorted(keep - {e.name.removesuffix(".gz") for e in data.iterdir()})
    if missing:
        raise SystemExit(f"botocore_data: botocore has no data/{missing}")
    freed = 0
    for entry in data.iterdir():
        if entry.name.removesuffix(".gz") in keep:
            continue
        if entry.is_dir():
            freed += sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
            shutil.rmtree(entry)
        else:
            freed += entry.stat().st_size
            entry.unlink()
    for entry in data.glob("*.json"):
        if entry.stat().st_size > GZIP_OVER:
            packed = gzip.compress(entry.read_bytes(), compresslevel=9, mtime=0)
            entry.with_name(entry.name + ".gz").write_bytes(packed)
            freed += entry.stat().st_size - len(packed)
            entry.unlink()
    return freed


def main(argv: list[str]) -> int:
    """Trim the installed botocore as the listing in argv[1] says."""
    import botocore  # noqa: PLC0415 - the installed one, only when run

    data = Path(botocore.__file__).parent / "data"
    freed = trim(data, allowed(Path(argv[1])))
    print(f"botocore_data: removed {freed / 2**20:.1f} MiB from {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
