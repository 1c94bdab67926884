"""Ctrl-C at any moment of a ``twin`` command: one line on stderr and exit code 130.

A command goes through three stretches, each with its own rule:

- loading (importing the command line: a second or more). Nothing to save yet, so Ctrl-C
  writes the line and ends the process at once. (Raised as KeyboardInterrupt in the middle of
  an import, it can come out of a C extension's initialisation as some other error.)
- the command itself. Python's own handler: KeyboardInterrupt reaches the command, which saves
  what must be saved (a study writes a run whole first) and says the line through ``say``;
  where typer turned it into a silent exit 130 (typer 0.29 does), ``run`` says it.
- ending (output flushed, then the interpreter's shutdown: thread joins, atexit hooks). Ctrl-C
  ends the process at once, with the line unless the command already said it. After the last
  atexit hook CPython sets SIGINT back to its default while it frees its modules (about 0.2 s
  after `twin check` here): a Ctrl-C there would kill the process without a word. Ignored
  there instead, it leaves the exit code the command's own: all its work is done by then.

Before ``run`` is called, no rule of ours holds, and CPython's own start-up is beyond any
Python code's reach: a Ctrl-C kills the process without a word until the interpreter has set
its handler (about 10 ms of CPU here), then ends in "Fatal Python error: init_import_site"
while the ``site`` module runs the environment's ``.pth`` hooks (about 5 ms). Then the entry
point imports ``twin``, ``twin.__main__`` and this module (about 3.5 ms of CPU when Python
compiles them, 0.7 ms from a bytecode cache): a Ctrl-C there is a KeyboardInterrupt traceback.
So the ``twin`` command the Makefile installs is a small C launcher (``launcher/twin.c``) that
blocks SIGINT before it execs Python: CPython keeps the mask, a Ctrl-C meanwhile stays
pending, and ``run`` unblocks SIGINT once ``_stop_now`` is in place, so it fires then: the
line, exit 130. Processes the command starts later inherit the mask open. Without the launcher
(``python -m twin``, or pip's console script where no C compiler was found) the windows above
stay; ``benchmarks/startup_interrupts.py`` measures them.

This module loads nothing but ``os``, ``sys`` and the built-in ``_signal`` and ``atexit``, the
first three loaded by Python's start-up: ``signal`` would import ``enum``, and ``__future__``
or ``typing`` would add their import time to the stretch before Ctrl-C is held (hence the
quoted annotations).
"""

import _signal
import atexit
import os
import sys

TYPE_CHECKING = False  # typing's: see above
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

INTERRUPTED = 130
LINE = "interrupted"


class _Said:
    """Whether this process has said its interrupted line (one per process, as signals are)
    and has registered its last exit hook."""

    line = False
    held_to_the_exit = False


def say(text: str = LINE) -> None:
    """Write the one interrupted line to stderr; every twin command says it through here."""
    _Said.line = True
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _stop_now(signum: int, frame: "FrameType | None") -> None:
    if not _Said.line:
        os.write(2, (LINE + "\n").encode())
    os._exit(INTERRUPTED)


def _ignore_to_the_exit() -> None:
    """The last atexit hook (registered first): SIGINT ignored through the module teardown."""
    if _signal.getsignal(_signal.SIGINT) is _stop_now:
        _signal.signal(_signal.SIGINT, _signal.SIG_IGN)


def _flush() -> None:
    import contextlib  # at the end: its cost is outside the window

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # a closed pipe
            stream.flush()


def run(load: "Callable[[], Callable[[], object]]") -> None:
    """Import a command line with ``load`` and run what it returns, Ctrl-C held as above.

    An exit with 130 that said nothing (typer turns KeyboardInterrupt into a silent exit 130)
    gets the line here. A process started with Ctrl-C ignored (a shell's background job) keeps
    ignoring it. SIGINT blocked by the launcher is unblocked here, after ``_stop_now`` is set:
    a Ctrl-C during start-up, pending till now, ends the process at this line."""
    _Said.line = False
    python_handler = _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler
    if python_handler:
        _signal.signal(_signal.SIGINT, _stop_now)
    if hasattr(_signal, "pthread_sigmask"):  # POSIX
        _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {_signal.SIGINT})
    if not _Said.held_to_the_exit:  # first, so that it runs last
        _Said.held_to_the_exit = True
        atexit.register(_ignore_to_the_exit)
    try:
        command = load()
    except KeyboardInterrupt:  # only if something changed the handler meanwhile
        say()
        raise SystemExit(INTERRUPTED) from None
    code: object = 0
    try:
        if python_handler:
            _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        command()
    except SystemExit as stop:
        code = stop.code
        raise
    except KeyboardInterrupt:  # after the command's own handling, before the exit
        code = INTERRUPTED
        raise SystemExit(INTERRUPTED) from None
    finally:
        if python_handler:
            _signal.signal(_signal.SIGINT, _stop_now)
        if code == INTERRUPTED and not _Said.line:
            say()
        _flush()
