"""MetalLB's BGP side on frrnode: MetalLB objects and Services in, FRRConfiguration (or frr.conf) out.

It sits beside the pipeline and uses it, never the reverse: `stage.MetalLBStage` turns one
snapshot's MetalLB objects into the FRRConfiguration `metallb-<node>` that MetalLB writes in
frr-k8s mode, which the agent's pipeline merges like any other owner's object.

    api.py        the MetalLB CRDs (+ the core kinds it reads) as pydantic models
    config.py     MetalLB's parser and validators -> `Config` (errors name object and field)
    allocator.py  the controller: LoadBalancer IPs from pools, stable across restarts
    speaker.py    one node's sessions, and who announces which Service to which peer
    sessions.py   the session-manager state both FRR backends render
    frrk8s.py     frr-k8s mode: the `metallb-<node>` FRRConfiguration
    native.py     native (FRR) mode: frr.conf, with `bgpextras` appended
    stage.py      the embedded agent's MetalLB stage (controller + speaker per snapshot)
"""
