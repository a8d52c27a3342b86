"""``python -m cxdata.ingest load|uploads|undo`` (the same commands ``python -m cxdata`` will offer)."""

import sys

from cxdata.ingest.cli import main

sys.exit(main())
