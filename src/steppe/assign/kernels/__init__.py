"""Numba kernels: plain contiguous arrays in, arrays out; no DataFrames, no I/O."""
