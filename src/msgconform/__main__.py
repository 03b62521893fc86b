import sys

from msgconform.cli import main

sys.exit(main())
