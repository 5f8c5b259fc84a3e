"""Shared fixtures: paths to committed test data and to ../shared/data when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.paths import SHARED_DATA, TEST_DATA


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip the test when it is absent (a user's fresh clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def every_report_is_consistent(monkeypatch):
    """Each report the pipeline writes during a test passes the consistency checker.

    One source of truth for every figure: the checker (``analysis.report.consistency``)
    fails the test on any contradiction between the summary, the sub-scores, the
    evidence's speakers and the counts of a report built in this process.
    """
    import service.pipeline as pipeline
    from analysis.report.consistency import check_report

    finish = pipeline._finish
    problems: list[str] = []

    def checked(*args, **kwargs):
        report = finish(*args, **kwargs)
        problems.extend(f"{report.source or 'report'}: {p}" for p in check_report(report.to_dict()))
        return report

    monkeypatch.setattr(pipeline, "_finish", checked)
    yield
    assert not problems, "contradictions in a report the pipeline wrote:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright, one per test module (every browser test's pages)."""
    from playwright.sync_api import sync_playwright

    from tests.service.test_browser import BASE_ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BASE_ARGS)
        yield b
        b.close()
