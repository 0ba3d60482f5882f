import sys

from diagd.cli import main

sys.exit(main())
