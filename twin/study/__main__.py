"""``python -m twin.study``: the study commands without the rest of the CLI."""

from __future__ import annotations

from twin.interrupt import run

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def _study_commands() -> Callable[[], object]:
    import typer

    from twin.study.commands import report, study

    app = typer.Typer(add_completion=False, no_args_is_help=True)
    app.command()(study)
    app.command()(report)
    return app


def main() -> None:
    """Run the ``study`` and ``report`` commands (Ctrl-C at any moment: one line, exit 130)."""
    run(_study_commands)


if __name__ == "__main__":
    main()
