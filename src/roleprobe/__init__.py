"""Log which AWS role a container runs as, then exec its command."""

__version__ = "0.1.0"
