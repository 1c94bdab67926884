"""``twin`` and ``python -m twin``: the command line, Ctrl-C included from the first instruction.

Loading the command line takes a second or more (typer, pydantic, numpy, the line model); a
Ctrl-C meanwhile would end in a traceback of the import. This module is the script's entry
point because it loads nothing first (``twin/__init__.py`` loads its names on first use).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Load the command line and run it; Ctrl-C while loading: one line, exit 130."""
    try:
        from twin.cli import main as command_line
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    command_line()


if __name__ == "__main__":
    main()
