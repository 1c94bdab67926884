"""The README's code blocks run: its Python block as written, and every `twin` command in its
shell blocks (with run lengths capped so the suite stays fast; placeholders, the interactive
viewer, the classroom tour and cluster commands are left to their own tests)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CAPS = {"--hours": 4.0, "--replications": 2.0}
SKIP = ("twin view", "twin demo", "HEAD", "DIR", "...", "twin calibrate")


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def twin_commands() -> list[str]:
    """Each `twin ...` command of the shell blocks, continuation lines joined."""
    commands = []
    for block in blocks("bash"):
        for command in block.replace("\\\n", " ").splitlines():
            command = command.strip()
            if command.startswith("twin ") and not any(s in command for s in SKIP):
                commands.append(command)
    return commands


def capped(args: list[str]) -> list[str]:
    out = list(args)
    for k, arg in enumerate(out[:-1]):
        if arg in CAPS:
            out[k + 1] = f"{min(float(out[k + 1]), CAPS[arg]):g}"
    return out


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "lines").symlink_to(ROOT / "lines")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_commands_to_run() -> None:
    assert len(twin_commands()) >= 10 and blocks("python")


@pytest.mark.slow
def test_readme_python_block_runs(in_tmp: Path) -> None:
    for block in blocks("python"):
        exec(compile(block, str(README), "exec"), {})  # noqa: S102


@pytest.mark.slow
def test_readme_twin_commands_run(in_tmp: Path) -> None:
    from twin.cli import app

    runner = CliRunner()
    for command in twin_commands():
        args = capped(shlex.split(command, comments=True))[1:]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"README: {command}\n{result.output}"
