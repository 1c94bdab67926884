"""The suite on several processes (pytest-xdist; ``make test`` runs ``-n 2 --dist loadgroup``):
no two workers share a writable path, what a module builds once is built on one worker only,
long tests start first, and in CI no test may leave a file in the repository's tree."""

from __future__ import annotations

import ast
import functools
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", ... in a worker, else None
LEFT_ALONE = (".venv/", ".pytest_cache/", ".hypothesis/", ".mypy_cache/", ".ruff_cache/")
_BEFORE = pytest.StashKey[set[str]]()  # the tree as CI found it, in the controlling process


def _hypothesis_per_worker() -> None:
    """Each worker keeps its own Hypothesis directory and example database (it writes there),
    and replays what a one-process run saved in the shared one (it only reads that)."""
    if WORKER is None:
        return
    from hypothesis import settings
    from hypothesis.configuration import set_hypothesis_home_dir
    from hypothesis.database import (
        DirectoryBasedExampleDatabase,
        MultiplexedDatabase,
        ReadOnlyDatabase,
    )

    home = ROOT / ".hypothesis"
    set_hypothesis_home_dir(home / f"xdist-{WORKER}")
    database = MultiplexedDatabase(
        DirectoryBasedExampleDatabase(home / f"xdist-{WORKER}" / "examples"),
        ReadOnlyDatabase(DirectoryBasedExampleDatabase(home / "examples")))
    settings.register_profile("xdist-worker", database=database)
    settings.load_profile("xdist-worker")


_hypothesis_per_worker()


@functools.cache
def _shared_fixtures(module: str) -> str | None:
    """How a test module's tests share what it builds once: "module" when it defines a module
    (or class) fixture, "param" when that fixture is parametrized (built once per value);
    None when it has none, or when two or more of its tests are marked slow one by one (their
    own work outweighs building the fixture twice: they are better on both workers)."""
    try:
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None
    shared = None
    slow = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            slow += node.name.startswith("test") and ast.unparse(deco) == "pytest.mark.slow"
            if not (isinstance(deco, ast.Call) and ast.unparse(deco.func) == "pytest.fixture"):
                continue
            words = {k.arg: k.value for k in deco.keywords}
            scope = words.get("scope")
            if isinstance(scope, ast.Constant) and scope.value in ("module", "class"):
                shared = "param" if "params" in words else shared or "module"
    return None if slow >= 2 else shared


def _work_unit(nodeid: str) -> str:
    """The tests that go to one worker together: those of a module that builds a fixture once
    (a physics walk, a study, a run; per value if parametrized), each other test alone."""
    module, _, rest = nodeid.partition("::")
    shared = _shared_fixtures(module)
    if shared is None:
        return nodeid
    if shared == "param" and rest.endswith("]") and "[" in rest:
        return module + "[" + rest.rsplit("[", 1)[1]
    return module


class _Scheduling:
    """``--dist loadgroup`` with twin's groups. xdist 3.8 marks groups by rewriting node ids,
    which pytest 9.2 no longer lets it do (pytest-xdist issue 1386), so the groups are worked
    out here, in the controlling process, from the node ids themselves."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "loadgroup":
            return None
        from xdist.scheduler import LoadGroupScheduling

        class Units(LoadGroupScheduling):
            def _split_scope(self, nodeid: str) -> str:
                if nodeid.rfind("@") > nodeid.rfind("]"):  # an xdist that can mark groups
                    return super()._split_scope(nodeid)
                return _work_unit(nodeid)

        config.option.loadscopereorder = False  # hand units out in the workers' order (slow
        return Units(config, log)  # first), not largest group first


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist") and WORKER is None:
        config.pluginmanager.register(_Scheduling(), "twin-work-units")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist workers, slow tests first (a stable sort: same order on every worker), so the
    long ones are handed out while short work is left to even out the finish."""
    if WORKER is not None:
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _tree_state() -> set[str]:
    """Untracked, ignored and modified paths of the checkout, caches left out."""
    out = subprocess.run(["git", "status", "--porcelain", "-z", "--ignored",
                          "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True,
                         check=False).stdout
    paths = {entry[3:] for entry in out.split("\0") if len(entry) > 3}
    return {p for p in paths if not p.startswith(LEFT_ALONE) and "__pycache__/" not in p
            and ".egg-info/" not in p}


def _guard_tree() -> bool:
    """Only in CI (a fresh clone, no one else editing) and only in the controlling process."""
    return bool(os.environ.get("CI")) and WORKER is None and (ROOT / ".git").exists()


def pytest_sessionstart(session: pytest.Session) -> None:
    if _guard_tree():
        session.config.stash[_BEFORE] = _tree_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _guard_tree() or _BEFORE not in session.config.stash:
        return
    written = sorted(_tree_state() - session.config.stash[_BEFORE])
    if written:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = ("tests wrote into the repository (use tmp_path; parallel workers share the "
                   "tree): " + ", ".join(written[:20]))
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
