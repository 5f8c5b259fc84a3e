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
