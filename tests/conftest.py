import warnings

import pytest

warnings.filterwarnings("ignore")


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path
