"""PNG export (skipped without kaleido and Chromium)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from steppe.viz.export import png_export_available, save_png


def test_png_export(tmp_path):
    if not png_export_available():
        pytest.skip("kaleido or chromium not installed")
    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 0]))
    path = save_png(fig, tmp_path / "chart.png", width=300, height=200)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
