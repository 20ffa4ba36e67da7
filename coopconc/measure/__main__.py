"""``python -m coopconc.measure [--quick] [--only create,switch,...] [--json]``"""

import sys

from coopconc.measure.report import main

sys.exit(main())
