# The frrnode image: the agent (`frrnode run --kubernetes`), the webhook (`frrnode webhook`) and
# MetalLB's controller and speaker (`frrnode metallb controller|speaker`, config/metallb).
# Built on FRR's own image so that the agent has the same vtysh and frr-reload.py as the FRR
# container it drives (same FRR version on both sides of the vtysh socket).
#   docker build -t REPO/frrnode:TAG .   then   cd config/default && kustomize edit set image frrnode=REPO/frrnode:TAG
ARG FRR_IMAGE=quay.io/frrouting/frr:9.1.0

FROM ${FRR_IMAGE} AS build
RUN apk add --no-cache python3 py3-pip
COPY pyproject.toml README.md /src/
COPY src /src/src
RUN python3 -m venv /opt/frrnode \
 && /opt/frrnode/bin/pip install --no-cache-dir /src

FROM ${FRR_IMAGE}
RUN apk add --no-cache python3
COPY --from=build /opt/frrnode /opt/frrnode
RUN ln -s /opt/frrnode/bin/frrnode /usr/local/bin/frrnode
ENTRYPOINT []
CMD ["frrnode", "--help"]
