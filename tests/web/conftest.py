"""Fixtures of the web tests: an app on the tiny two-route model, with a token."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'steppe[web]'")

from fastapi.testclient import TestClient
from webtools import make_settings

from steppe.web import create_app


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as c:
        yield c
