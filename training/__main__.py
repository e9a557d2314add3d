"""`python -m training ...`: the per-rank entry point used by the deepspeed launcher and torchrun
(same flags as `octopack train`)."""

import sys

from training.cli import main

sys.exit(main())
