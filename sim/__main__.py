"""``python -m sim``: the marginsim command line."""

import sys

from sim.apps.cli import main

sys.exit(main())
