"""``python -m sim``: the marginsim command line."""

import sys

from sim.cli import main

sys.exit(main())
