"""What the tests and the benchmarks share, in one place: test modules import helpers from here, never from each other.

Unit helpers (plain-data builders, fakes of the adapter and of the watch API) and integration helpers (kubectl, the
API server's audit log, local control planes by name, the bookie watcher, processes, the clusters the tests deploy).
"""
