"""A lab of network namespaces with real FRR routers, for demos and end-to-end tests."""
