"""conform_table on tables that already hold typed values (as the corridor build makes).

Such fields skip the cell-by-cell coercion; the result and every problem reported must be
exactly those of the full coercion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steppe.model import validation
from steppe.model.validation import Problems, conform_table


def _links(**changes: object) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "link_id": [1, 2, 3],
            "from_node_id": [1, 2, 3],
            "to_node_id": [2, 3, 1],
            "capacity": [10.0, 20.0, 30.0],
            "free_flow_time": [1.0, 2.0, 3.0],
            "length": [1.0, np.nan, 3.0],
            "hard_capacity": [np.nan, 5.0, np.nan],
            "allowed_uses": pd.array([" a;b ", "", None], dtype="str"),
            "money_x": [0.5, 1.5, 2.5],
        }
    )
    for column, values in changes.items():
        frame[column] = values
    return frame


NODES = pd.DataFrame(
    {
        "node_id": [10, 11, 20],
        "name": pd.array(["A [road]", "  B ", None], dtype="str"),
        "x_coord": [1.0, np.nan, 3.0],
        "y_coord": [1.0, 2.0, 3.0],
        "zone_id": pd.array([1, None, 2], dtype="Int64"),
        "through_traffic": [False, True, True],
        "country": pd.array(["MN", None, "CN"], dtype="str"),
        "layer": ["centroid", "road", "road"],
    }
)
DEMAND = pd.DataFrame(
    {
        "origin": [1, 1, 2],
        "destination": [2, 3, 1],
        "demand_class": pd.array(["coal|MN>CN", " ", None], dtype="str"),
        "volume": [1.0, 0.0, 2.5],
    }
)


@pytest.mark.parametrize(
    ("frame", "table"),
    [
        (_links(), "link"),
        (_links(capacity=[10.0, 0.0, -1.0]), "link"),
        (_links(free_flow_time=[1.0, -2.0, np.inf]), "link"),
        (_links(link_id=[1, 1, 2]), "link"),
        (_links(link_id=[1.0, 2.5, np.nan]), "link"),
        (_links(capacity=[np.nan, 1.0, 1.0]), "link"),
        (_links(hard_capacity=[0.0, 1.0, np.nan]), "link"),
        (_links(allowed_uses=[1, 2, 3]), "link"),
        (_links().drop(columns=["capacity"]), "link"),
        (NODES, "node"),
        (NODES.assign(zone_id=pd.array([1, 1, None], dtype="Int64")), "node"),
        (NODES.assign(x_coord=[1.0, np.inf, 2.0]), "node"),
        (DEMAND, "demand"),
        (DEMAND.assign(volume=[1.0, -1.0, np.nan]), "demand"),
        (DEMAND.assign(origin=[1.5, 2.0, 3.0]), "demand"),
    ],
)
def test_typed_tables_conform_as_the_full_coercion(
    frame: pd.DataFrame, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_problems, slow_problems = Problems(), Problems()
    fast = conform_table(frame, table, source="t.csv", problems=fast_problems)
    with monkeypatch.context() as patch:
        patch.setattr(validation, "_typed_field", lambda *args: None)
        slow = conform_table(frame, table, source="t.csv", problems=slow_problems)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert [str(p) for p in fast_problems] == [str(p) for p in slow_problems]


def test_problems_in_typed_tables_name_row_field_and_value() -> None:
    problems = Problems()
    conform_table(_links(free_flow_time=[1.0, -2.0, 3.0]), "link", source="links",
                  problems=problems)
    assert [str(p) for p in problems] == [
        "links, row 2, field 'free_flow_time': got '-2.0'; expected a number >= 0"
    ]
