import sys

from watt.cli import main

sys.exit(main())
