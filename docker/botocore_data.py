"""Keep only the botocore data files that docker/botocore-data.txt lists.

    python3 docker/botocore_data.py docker/botocore-data.txt

deletes every other entry of the installed botocore's ``data`` folder (run it
with the Python roleprobe is installed in).  docker/standalone/roleprobe.spec
imports `allowed` and `wanted` to bundle the same files.  An entry that
botocore does not have is an error, so that a rename in botocore cannot
silently leave roleprobe without a model it needs.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def allowed(listing: Path) -> frozenset[str]:
    """Return the entries of botocore/data that *listing* keeps."""
    lines = listing.read_text(encoding="utf-8").splitlines()
    return frozenset(s for s in (x.strip() for x in lines) if s and s[0] != "#")


def wanted(relative: str, keep: frozenset[str]) -> bool:
    """Whether the file at *relative* (to botocore/data, "/"-separated) is kept."""
    return relative.split("/", 1)[0] in keep


def trim(data: Path, keep: frozenset[str]) -> int:
    """Delete what *keep* drops from *data*; return the bytes freed."""
    missing = sorted(keep - {entry.name for entry in data.iterdir()})
    if missing:
        raise SystemExit(f"botocore_data: botocore has no data/{missing}")
    freed = 0
    for entry in data.iterdir():
        if entry.name in keep:
            continue
        if entry.is_dir():
            freed += sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
            shutil.rmtree(entry)
        else:
            freed += entry.stat().st_size
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
