"""``python -m connectors.idoc validate FILE...`` (see :mod:`connectors.idoc.cli`)."""

import sys

from connectors.idoc.cli import main

sys.exit(main())
