"""``twin`` and ``python -m twin``: the command line, Ctrl-C included from its first instruction.

Loading the command line takes a second or more (typer, pydantic, numpy, the line model). This
module is the entry point (of pip's console script, and of the C launcher ``launcher/twin.c``
that the Makefile installs as ``twin`` in its place) because it loads nothing first
(``twin/__init__.py`` loads its names on first use) but ``twin.interrupt``, which holds Ctrl-C
from there to the exit (and, behind the launcher, takes the Ctrl-C held back since exec).
"""

from twin.interrupt import run

TYPE_CHECKING = False  # no __future__ or typing import before Ctrl-C is held: see twin/__init__
if TYPE_CHECKING:
    from collections.abc import Callable


def _command_line() -> "Callable[[], object]":
    from twin.cli import main as command_line

    return command_line


def main() -> None:
    """Load the command line and run it; Ctrl-C at any moment: one line, exit 130."""
    run(_command_line)


if __name__ == "__main__":
    main()
