"""``python -m gongkai``: the same command as ``gongkai``."""

from .cli import main

main()
