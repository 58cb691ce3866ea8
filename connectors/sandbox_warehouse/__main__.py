"""``python -m connectors.sandbox_warehouse --help``."""

import sys

from connectors.sandbox_warehouse.cli import main

sys.exit(main())
