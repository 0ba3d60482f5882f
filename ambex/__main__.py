import sys

from ambex.cli import main

sys.exit(main())
