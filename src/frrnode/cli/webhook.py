"""`frrnode webhook`: the validating admission webhook and the status cleaner (the Deployment)."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from frrnode.cli import app
from frrnode.cli.options import check_log_level, setup_logging

log = logging.getLogger("frrnode")


@app.command()
def webhook(
    namespace: Annotated[
        str, typer.Option("--namespace", envvar="NAMESPACE", help="The agents' namespace.")
    ] = "frr-k8s-system",
    kubeconfig: Annotated[
        Path | None, typer.Option("--kubeconfig", help="A kubeconfig, not in-cluster.")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option("--webhook-port", help="HTTPS port.")] = 19443,
    cert_dir: Annotated[
        Path, typer.Option("--cert-dir", help="tls.crt and tls.key (mounted, or written when self-managed).")
    ] = Path("/tmp/k8s-webhook-server/serving-certs"),
    disable_cert_rotation: Annotated[
        bool,
        typer.Option(
            "--disable-cert-rotation",
            help="Serve the mounted certificate in --cert-dir (reloaded on change), no self-managed CA.",
        ),
    ] = False,
    cert_service_name: Annotated[
        str, typer.Option("--cert-service-name", help="The webhook's Service (names in the certificate).")
    ] = "frr-k8s-webhook-service",
    webhook_configuration: Annotated[
        str,
        typer.Option(
            "--webhook-configuration", help="ValidatingWebhookConfiguration to patch the CA bundle into."
        ),
    ] = "frr-k8s-validating-webhook-configuration",
    agent_selector: Annotated[
        str, typer.Option("--frrk8s-selector", help="Labels of the agent pods (status cleaner).")
    ] = "app.kubernetes.io/component=frr-k8s",
    clean_status: Annotated[
        bool, typer.Option("--clean-status/--no-clean-status", help="Run the status cleaner.")
    ] = True,
    log_level: Annotated[
        str,
        typer.Option("--log-level", help="all, debug, info, warn, error, none.", callback=check_log_level),
    ] = "info",
) -> None:
    """Serve the FRRConfiguration validating webhook over HTTPS until SIGTERM/SIGINT."""
    setup_logging(log_level)
    from frrnode.kube.cleaner import StatusCleaner, parse_selector

    try:
        selector = parse_selector(agent_selector)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--frrk8s-selector") from exc

    async def main() -> None:
        from frrnode.kube import certs
        from frrnode.kube.client import make_client
        from frrnode.kube.runner import WebhookRunner
        from frrnode.kube.webhook import WEBHOOK_NAME

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        client = make_client(kubeconfig, namespace=namespace)
        if not disable_cert_rotation:
            issued = await certs.load_or_issue(client, cert_service_name, namespace)
            certs.write_issued(issued, cert_dir)
            if not await certs.patch_ca_bundle(client, webhook_configuration, WEBHOOK_NAME, issued.ca_pem):
                log.warning(
                    "ValidatingWebhookConfiguration %s with a webhook %s not found: CA bundle not patched",
                    webhook_configuration,
                    WEBHOOK_NAME,
                )
        cleaner = StatusCleaner(client, namespace, selector) if clean_status else None
        runner = WebhookRunner(client, namespace, cert_dir, host, port, cleaner)
        await runner.run(stop)

    asyncio.run(main())
