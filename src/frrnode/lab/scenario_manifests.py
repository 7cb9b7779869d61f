"""The FRRConfigurations of the four situations (docs/scenarios.md shows exactly these).

Lab addresses: node 172.30.0.1 (eth0, first segment) and 172.31.0.1 (eth1, second segment);
r1 172.30.0.2 (AS 64513), r2 172.30.0.3 (AS 64514), rv 172.31.0.2 (AS 64520).
A unit test checks that every manifest here appears verbatim in docs/scenarios.md and builds.
"""

from __future__ import annotations

DYNAMIC_ROUTING = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: dynamic-routing
  namespace: frr-k8s-system
spec:
  bgp:
    routers:
    - asn: 64512
      neighbors:
      - address: 172.30.0.2        # r1, first segment (eth0)
        asn: 64513
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.100.0.0/24
      - address: 172.31.0.2        # rv, second segment (eth1)
        asn: 64520
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.250.0.0/24
"""

SEGREGATION_DEFAULT_TABLE = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: segregation
  namespace: frr-k8s-system
spec:
  bgp:
    routers:
    - asn: 64512
      neighbors:
      - address: 172.30.0.2        # r1 (eth0) announces 10.250.0.0/24 too: accept nothing from it
        asn: 64513
      - address: 172.31.0.2        # rv (eth1): the only way to 10.250.0.0/24
        asn: 64520
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.250.0.0/24
"""

SEGREGATION_VRF = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: segregation
  namespace: frr-k8s-system
spec:
  bgp:
    routers:
    - asn: 64512                   # default table: r1 on eth0 has its own 10.250.0.0/24
      neighbors:
      - address: 172.30.0.2
        asn: 64513
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.250.0.0/24
    - asn: 64512
      vrf: red                     # VRF red (eth1 is enslaved to it): rv's 10.250.0.0/24
      neighbors:
      - address: 172.31.0.2
        asn: 64520
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.250.0.0/24
"""

ACTIVE_ACTIVE_SAME_AS = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: active-active
  namespace: frr-k8s-system
spec:
  bgp:
    routers:
    - asn: 64512
      neighbors:
      - address: 172.30.0.2        # r1, AS 64513
        asn: 64513
        holdTime: 3s               # failure detection without BFD: the hold timer
        keepaliveTime: 1s
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.60.0.0/24
      - address: 172.30.0.3        # r2, also AS 64513
        asn: 64513
        holdTime: 3s
        keepaliveTime: 1s
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.60.0.0/24
"""

ACTIVE_ACTIVE_MULTI_AS = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: active-active
  namespace: frr-k8s-system
spec:
  bgp:
    bfdProfiles:
    - name: fast                   # failure detection in 3 x 100 ms
      receiveInterval: 100
      transmitInterval: 100
      detectMultiplier: 3
    routers:
    - asn: 64512
      neighbors:
      - address: 172.30.0.2        # r1, AS 64513
        asn: 64513
        bfdProfile: fast
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.60.0.0/24
      - address: 172.30.0.3        # r2, AS 64514
        asn: 64514
        bfdProfile: fast
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.60.0.0/24
  raw:                             # no API field says "paths through different ASes are equal"
    priority: 10
    rawConfig: |
      router bgp 64512
        bgp bestpath as-path multipath-relax
      exit
"""

RETURN_PATH = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: return-path
  namespace: frr-k8s-system
spec:
  bgp:
    routers:
    - asn: 64512
      neighbors:
      - address: 172.31.0.2        # rv: the client networks behind the second segment
        asn: 64520
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.250.0.0/24
"""

ALL = {
    "dynamic-routing": DYNAMIC_ROUTING,
    "segregation (default table)": SEGREGATION_DEFAULT_TABLE,
    "segregation (VRF)": SEGREGATION_VRF,
    "active-active (same AS)": ACTIVE_ACTIVE_SAME_AS,
    "active-active (different ASes)": ACTIVE_ACTIVE_MULTI_AS,
    "return-path": RETURN_PATH,
}
