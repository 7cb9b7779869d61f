"""The node agent: sources, reconcile loop, status and metrics."""
