"""Run roleprobe as ``python -m roleprobe``."""

import sys

from roleprobe._cli import main

sys.exit(main())
