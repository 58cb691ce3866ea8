"""``python -m connectors.edi validate FILE...`` (see :mod:`connectors.edi.cli`)."""

import sys

from connectors.edi.cli import main

sys.exit(main())
