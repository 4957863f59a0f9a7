"""Log which AWS role a container runs as, then exec its command."""

from roleprobe._version import VERSION as __version__

__all__ = ["__version__"]
