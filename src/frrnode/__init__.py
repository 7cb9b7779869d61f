"""frrnode: one FRR per node, configured from FRRConfiguration resources."""

__version__ = "0.1.0"
