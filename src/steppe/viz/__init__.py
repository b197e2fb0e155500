"""Charts, maps and the HTML report (Plotly, self-contained: plotly.js inline, no CDN)."""

from steppe.viz.charts import balance_chart, border_chart, tcd_chart
from steppe.viz.maps import difference_map, flow_map
from steppe.viz.report import ReportEntry, build_report, write_report

__all__ = [
    "ReportEntry",
    "balance_chart",
    "border_chart",
    "build_report",
    "difference_map",
    "flow_map",
    "tcd_chart",
    "write_report",
]
