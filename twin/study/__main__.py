"""``python -m twin.study``: the study commands without the rest of the CLI."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the ``study`` and ``report`` commands (Ctrl-C while loading: one line, exit 130)."""
    try:
        import typer

        from twin.study.commands import report, study
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    app.command()(study)
    app.command()(report)
    app()


if __name__ == "__main__":
    main()
