import sys

from reasonlab.cli import main

sys.exit(main())
