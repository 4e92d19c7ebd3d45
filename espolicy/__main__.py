"""`python -m espolicy …`: the same as the `espolicy` command."""
import sys

from espolicy.commands.main import main

if __name__ == "__main__":
    sys.exit(main())
