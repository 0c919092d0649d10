"""A readiness run keeps its long-lived objects out of the garbage collector's full passes while the checks
run, and leaves nothing frozen behind: an in-process run (pytester, an IDE) must not leak into its host."""

from __future__ import annotations

import gc

import pytest


class FreezeRecorder:
    """How many objects are frozen as each test starts."""

    def __init__(self) -> None:
        self.frozen: list[int] = []

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.frozen.append(gc.get_freeze_count())


def test_the_heap_is_frozen_while_the_checks_run_and_unfrozen_after(pytester: pytest.Pytester) -> None:
    recorder = FreezeRecorder()
    before = gc.get_freeze_count()
    reprec = pytester.inline_run("--readiness", "-p", "no:cacheprovider", "-k", "SEC-SECRETS or OPS-CI",
                                 plugins=[recorder])
    assert len(reprec.getreports("pytest_runtest_logreport")) >= 3 * 2
    assert recorder.frozen and min(recorder.frozen) > before + 10_000  # the modules, classes and functions
    assert gc.get_freeze_count() == before


def test_a_plain_run_freezes_nothing(pytester: pytest.Pytester) -> None:
    recorder = FreezeRecorder()
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    before = gc.get_freeze_count()
    reprec = pytester.inline_run("-p", "no:cacheprovider", plugins=[recorder])
    reprec.assertoutcome(passed=1)
    assert recorder.frozen == [before] and gc.get_freeze_count() == before
