"""``python -m neurospice``."""

from .cli import main

main()
