"""Kubernetes mode: the agent on the API server (informers, status objects) and the webhook.

Sits beside `agent/`: it feeds the same reconciler through the `Source` protocol and publishes
the same status model through another sink; the pipeline and the FRR layer do not know it exists.
"""
