"""Readers and writers: TNTP, GMNS CSV, result tables. No algorithms live here.

* :func:`read_case` reads a TNTP or GMNS case folder, whichever it is;
* :mod:`steppe.io.tntp` reads TNTP network, trips, node and flow files and whole folders;
* :mod:`steppe.io.gmns` reads and writes GMNS ``node.csv``/``link.csv`` and ``demand.csv``;
* :func:`write_table` writes a result table to CSV or Parquet, atomically.
"""

from steppe.io.folders import detect_format, read_case
from steppe.io.gmns import read_gmns, read_gmns_demand, read_gmns_network, write_gmns
from steppe.io.tables import write_table
from steppe.io.tntp import (
    CostWeights,
    TntpCase,
    read_tntp_demand,
    read_tntp_flows,
    read_tntp_folder,
    read_tntp_network,
)

__all__ = [
    "CostWeights",
    "TntpCase",
    "detect_format",
    "read_case",
    "read_gmns",
    "read_gmns_demand",
    "read_gmns_network",
    "read_tntp_demand",
    "read_tntp_flows",
    "read_tntp_folder",
    "read_tntp_network",
    "write_gmns",
    "write_table",
]
