"""The README's commands (tox -e tests, tox -e demo) as tox.ini defines them."""

from __future__ import annotations

import configparser

from tests.conftest import REPO_ROOT


def tox_ini() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO_ROOT / "tox.ini", encoding="utf-8")
    return parser


def test_tox_writes_no_venv_redirect_file_into_the_checkout() -> None:
    # tox >= 4.5x writes a `.venv` file (PEP 832) pointing at its env unless told not to.
    assert tox_ini()["tox"]["venv_redirect"].strip() == "false"


def test_tests_run_in_parallel_and_print_durations() -> None:
    commands = tox_ini()["testenv:tests"]["commands"]
    assert "-n auto" in commands and "--durations=15" in commands
    assert "pytest-xdist" in (REPO_ROOT / "pyproject.toml").read_text()


def test_demo_shows_a_ready_run_that_is_verified_for_its_scope() -> None:
    commands = tox_ini()["testenv:demo"]["commands"].strip().splitlines()
    assert '-m "static or manual"' in commands[0]
    assert "-eq 101" in commands[1] and "-eq 1 " in commands[2]
