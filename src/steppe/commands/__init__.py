"""Command functions of the ``steppe`` CLI (registered in :mod:`steppe.cli`)."""
