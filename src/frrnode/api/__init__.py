"""The Kubernetes resource model (group frrk8s.metallb.io/v1beta1, plus core Secret and Node)."""
