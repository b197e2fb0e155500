"""The schema as data, the data dictionary and the validation layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from steppe.errors import InputError
from steppe.model import Demand, Network, data_dictionary_markdown, table_schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_every_table_has_typed_documented_fields():
    for table in ("node", "link", "demand"):
        fields = table_schema(table)
        assert fields, table
        for f in fields:
            assert f.dtype in {"int64", "Int64", "float64", "string", "boolean"}, f
            assert f.description, f
        assert any(f.required for f in fields)


def test_data_dictionary_in_docs_is_generated_from_the_schema():
    assert DOCS.read_text(encoding="utf-8").strip() == data_dictionary_markdown().strip(), (
        "docs/data-dictionary.md is stale: run `make docs`"
    )


def nodes():
    return pd.DataFrame({"node_id": [1, 2, 3], "zone_id": [1, 2, None]})


def links(**changes):
    table = pd.DataFrame(
        {
            "link_id": [1, 2],
            "from_node_id": [1, 2],
            "to_node_id": [2, 3],
            "capacity": [10.0, 20.0],
            "free_flow_time": [1.0, 2.0],
        }
    )
    for column, values in changes.items():
        table[column] = values
    return table


def test_defaults_are_filled_and_dtypes_set():
    net = Network.from_frames(nodes(), links())
    assert net.links["alpha"].tolist() == [0.15, 0.15]
    assert net.links["beta"].tolist() == [4.0, 4.0]
    assert net.links["toll"].dtype == np.float64
    assert net.nodes["through_traffic"].tolist() == [True, True, True]
    assert net.zones.to_dict("list") == {"zone_id": [1, 2], "node_id": [1, 2]}


@pytest.mark.parametrize(
    ("changes", "field", "value", "expected"),
    [
        ({"capacity": [0.0, 20.0]}, "capacity", "0.0", "positive"),
        ({"capacity": ["ten", 20.0]}, "capacity", "ten", "a number"),
        ({"free_flow_time": [-1.0, 2.0]}, "free_flow_time", "-1.0", ">= 0"),
        ({"free_flow_time": [np.inf, 2.0]}, "free_flow_time", "inf", "finite"),
        ({"link_id": [2, 2]}, "link_id", "2", "not used by an earlier row"),
        ({"to_node_id": [9, 3]}, "to_node_id", "9", "node id of the node table"),
        ({"to_node_id": [1, 3]}, "to_node_id", "1", "other than from_node_id"),
        ({"link_id": [1.5, 2]}, "link_id", "1.5", "whole number"),
    ],
)
def test_each_problem_names_row_field_value_and_expectation(changes, field, value, expected):
    with pytest.raises(InputError) as info:
        Network.from_frames(nodes(), links(**changes), link_source="link.csv", link_rows=[2, 3])
    problem = info.value.problems[0]
    line = 3 if "earlier row" in expected else 2  # a duplicate is reported where it repeats
    assert (problem.source, problem.row, problem.field) == ("link.csv", line, field)
    assert problem.value == value
    assert expected in problem.expected
    assert f"link.csv, line {line}" in str(info.value)


def test_all_problems_are_collected_before_failing():
    bad = links(capacity=[0.0, -3.0], free_flow_time=[np.nan, 1.0])
    bad = bad.drop(columns=["to_node_id"])
    with pytest.raises(InputError) as info:
        Network.from_frames(nodes(), bad)
    fields = [p.field for p in info.value.problems]
    assert "to_node_id" in fields and fields.count("capacity") == 2 and "free_flow_time" in fields


def test_demand_rejects_unknown_zones_duplicates_negative_and_empty():
    net = Network.from_frames(nodes(), links())
    cases = [
        (pd.DataFrame({"origin": [1], "destination": [3], "volume": [1.0]}), "zone id"),
        (pd.DataFrame({"origin": [1, 1], "destination": [2, 2], "volume": [1.0, 2.0]}), "one row"),
        (pd.DataFrame({"origin": [1], "destination": [2], "volume": [-1.0]}), ">= 0"),
        (pd.DataFrame({"origin": [1], "destination": [2], "volume": [0.0]}), "positive demand"),
        (pd.DataFrame({"origin": [1], "destination": [2], "volume": [np.nan]}), "required"),
    ]
    for frame, message in cases:
        with pytest.raises(InputError, match=message):
            Demand.from_frame(frame, network=net)


def test_demand_classes_matrix_and_totals():
    frame = pd.DataFrame(
        {
            "origin": [1, 2, 1],
            "destination": [2, 1, 2],
            "demand_class": ["car", "car", "truck"],
            "volume": [3.0, 4.0, 5.0],
        }
    )
    demand = Demand.from_frame(frame)
    assert demand.classes == ("car", "truck")
    assert demand.total() == 12.0 and demand.total("truck") == 5.0
    np.testing.assert_array_equal(demand.matrix([1, 2], "car"), [[0, 3], [4, 0]])
