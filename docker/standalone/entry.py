"""The self-contained roleprobe's entry point: the console script's main."""

import sys

from roleprobe._cli import main

sys.exit(main())
