"""The data model: networks, demand, the schema as data, validation and compiled graphs."""

from steppe.model.demand import Demand
from steppe.model.graph import CompiledGraph, compile_graph
from steppe.model.network import Network
from steppe.model.schema import Field, data_dictionary_markdown, table_schema
from steppe.model.validation import DataWarning, Problem, Problems

__all__ = [
    "CompiledGraph",
    "DataWarning",
    "Demand",
    "Field",
    "Network",
    "Problem",
    "Problems",
    "compile_graph",
    "data_dictionary_markdown",
    "table_schema",
]
