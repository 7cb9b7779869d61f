"""Bounded UDP traffic inside lab namespaces, and where it went.

Three small programs run inside a namespace (`python -m frrnode.lab.traffic serve|probe|capture`,
standard library only) and three host-side wrappers start them with `ip netns exec`:

- `EchoServer`: answers every datagram with its name, from the address the request was sent
  to (IP_PKTINFO), as a real server's connected socket would;
- `probe()`: sends `count` datagrams to each destination from one connected socket per
  destination (one flow each) and reports which server answered how often;
- `Capture`: counts the UDP packets of one port per interface and direction (AF_PACKET), so a
  test proves which link carried a request or a reply, not just what the routing table says.

Nothing here touches an interface outside the namespace it runs in.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

PORT = 7007
"""UDP port of the lab's echo servers (any unprivileged port; each namespace is separate)."""

_IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux value; Python 3.11 lacks the constant
_ETH_P_ALL = 0x0003
_PACKET_OUTGOING = 4
_READY = "ready"


# -- the programs (run inside a namespace) ----------------------------------------------------
def _bind_device(sock: socket.socket, device: str | None) -> None:
    # Binding to a VRF device makes the socket use that VRF's table (no `ip vrf exec` needed).
    if device:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())


def serve(name: str, port: int, address: str, device: str | None) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, _IP_PKTINFO, 1)
    _bind_device(sock, device)
    sock.bind((address, port))
    print(_READY, flush=True)
    space = socket.CMSG_SPACE(12)
    while True:
        data, ancillary, _, peer = sock.recvmsg(2048, space)
        local = b"\0" * 4
        for level, kind, value in ancillary:
            if level == socket.IPPROTO_IP and kind == _IP_PKTINFO:
                local = value[8:12]  # in_pktinfo.ipi_addr: the request's destination address
        # ipi_spec_dst = that address: the reply's source; the route decides the interface.
        pktinfo = struct.pack("=i4s4s", 0, local, b"\0" * 4)
        # No route back (some tests show exactly that): the client simply sees no reply.
        with contextlib.suppress(OSError):
            sock.sendmsg([name.encode() + b" " + data], [(socket.IPPROTO_IP, _IP_PKTINFO, pktinfo)], 0, peer)


def probe_all(
    destinations: Sequence[str], port: int, count: int, timeout: float, device: str | None
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    sockets: dict[socket.socket, str] = {}
    for dst in destinations:
        entry: dict[str, Any] = {"sent": 0, "replies": {}, "error": None}
        results[dst] = entry
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        _bind_device(sock, device)
        try:
            sock.connect((dst, port))  # replies must come from dst:port, one flow per destination
            for seq in range(count):
                sock.send(f"{dst} {seq}".encode())
                entry["sent"] += 1
        except OSError as exc:
            entry["error"] = exc.strerror or str(exc)
            sock.close()
            continue
        sockets[sock] = dst
    expected = sum(r["sent"] for r in results.values())
    received = 0
    deadline = time.monotonic() + timeout
    while sockets and received < expected and (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(list(sockets), [], [], left)
        for sock in readable:
            entry = results[sockets[sock]]
            try:
                name = sock.recv(2048).split(b" ", 1)[0].decode()
            except OSError as exc:  # e.g. ICMP port/host unreachable
                entry["error"] = exc.strerror or str(exc)
                del sockets[sock]
                sock.close()
                continue
            entry["replies"][name] = entry["replies"].get(name, 0) + 1
            received += 1
    for sock in sockets:
        sock.close()
    return results


def _parse(frame: bytes) -> tuple[str, str, str, int, int] | None:
    """(src, dst, protocol, sport, dport) of an IPv4 UDP frame, None for anything else."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    header = (ip[0] & 0x0F) * 4
    if ip[9] != socket.IPPROTO_UDP or len(ip) < header + 4:
        return None
    sport, dport = struct.unpack("!HH", ip[header : header + 4])
    return socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), "udp", sport, dport


def capture(devices: Sequence[str], port: int, stop: IO[str], max_seconds: float) -> list[dict[str, Any]]:
    """Count UDP packets to or from `port` on `devices` until `stop` reaches EOF."""
    socks: dict[Any, str] = {}  # socket or the stop stream -> device
    for dev in devices:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        sock.bind((dev, _ETH_P_ALL))  # Python converts the protocol to network order itself
        sock.setblocking(False)
        socks[sock] = dev
    print(_READY, flush=True)
    counts: Counter[tuple[str, str, str, str, int, int]] = Counter()

    def drain(sock: socket.socket) -> None:
        while True:
            try:
                frame, addr = sock.recvfrom(65535)
            except BlockingIOError:
                return
            parsed = _parse(frame)
            if parsed and port in (parsed[3], parsed[4]):
                direction = "out" if addr[2] == _PACKET_OUTGOING else "in"
                src, dst, _, sport, dport = parsed
                counts[(socks[sock], direction, src, dst, sport, dport)] += 1

    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        readable, _, _ = select.select([*socks, stop], [], [], 0.5)
        for sock in socks:
            if sock in readable:
                drain(sock)
        if stop in readable and not stop.readline():
            break
    for sock in socks:
        drain(sock)
    return [
        {"dev": d, "dir": r, "src": s, "dst": t, "sport": sp, "dport": dp, "count": n}
        for (d, r, s, t, sp, dp), n in sorted(counts.items())
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m frrnode.lab.traffic")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="UDP echo server answering with its name")
    p_serve.add_argument("--name", required=True)
    p_serve.add_argument("--address", default="0.0.0.0")
    p_probe = sub.add_parser("probe", help="send datagrams, print who answered (JSON)")
    p_probe.add_argument("destinations", nargs="+")
    p_probe.add_argument("--count", type=int, default=3)
    p_probe.add_argument("--timeout", type=float, default=1.0)
    p_capture = sub.add_parser("capture", help="count a port's packets until stdin closes (JSON)")
    p_capture.add_argument("devices", nargs="+")
    p_capture.add_argument("--max-seconds", type=float, default=120.0)
    for p in (p_serve, p_probe, p_capture):
        p.add_argument("--port", type=int, default=PORT)
    for p in (p_serve, p_probe):
        p.add_argument("--device", help="bind to this device (a VRF: use its table)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        serve(args.name, args.port, args.address, args.device)
    elif args.command == "probe":
        print(json.dumps(probe_all(args.destinations, args.port, args.count, args.timeout, args.device)))
    else:
        print(json.dumps(capture(args.devices, args.port, sys.stdin, args.max_seconds)))


# -- host-side wrappers -----------------------------------------------------------------------
def _command(netns: str, *args: str) -> list[str]:
    return ["ip", "netns", "exec", netns, sys.executable, "-m", "frrnode.lab.traffic", *args]


class TrafficError(RuntimeError):
    """A traffic program could not start or gave no usable answer."""


def _start(netns: str, *args: str) -> subprocess.Popen[str]:
    """Start a program in `netns` and wait for its `ready` line (sockets bound)."""
    proc = subprocess.Popen(
        _command(netns, *args),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 15.0)
    line = proc.stdout.readline() if ready else ""
    if line.strip() != _READY:
        _stop(proc)
        raise TrafficError(f"{' '.join(args[:1])} in {netns} did not start: {line}{_stderr(proc)}")
    return proc


def _stderr(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None or proc.stderr is None:
        return ""
    return proc.stderr.read().strip()


def _stop(proc: subprocess.Popen[str]) -> None:
    # `ip netns exec` execs the program: proc.pid is the program itself, ours to end.
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class EchoServer:
    """`with EchoServer(netns, name):` — a UDP echo server answering with `name`."""

    def __init__(
        self, netns: str, name: str, address: str = "0.0.0.0", port: int = PORT, device: str | None = None
    ):
        self.args = ["serve", "--name", name, "--address", address, "--port", str(port)]
        if device:
            self.args += ["--device", device]
        self.netns = netns
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> EchoServer:
        self._proc = _start(self.netns, *self.args)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            _stop(self._proc)


@dataclass(frozen=True)
class Reply:
    """What one destination answered: datagrams sent, replies per server name, socket error."""

    sent: int
    replies: dict[str, int]
    error: str | None = None

    @property
    def answered(self) -> int:
        return sum(self.replies.values())


def probe(
    netns: str,
    destinations: Iterable[str],
    count: int = 3,
    timeout: float = 1.0,
    port: int = PORT,
    device: str | None = None,
) -> dict[str, Reply]:
    """Send `count` datagrams to each destination from `netns`; wait up to `timeout` for replies."""
    args = ["probe", *destinations, "--count", str(count), "--timeout", str(timeout), "--port", str(port)]
    if device:
        args += ["--device", device]
    proc = subprocess.run(
        _command(netns, *args), capture_output=True, text=True, timeout=timeout + 30, check=False
    )
    if proc.returncode != 0:
        raise TrafficError(f"probe from {netns} failed: {proc.stderr.strip()}")
    return {dst: Reply(**entry) for dst, entry in json.loads(proc.stdout).items()}


@dataclass(frozen=True)
class Packets:
    """Captured packets of one port: (dev, dir, src, dst, sport, dport, count) records."""

    records: tuple[dict[str, Any], ...]

    def count(
        self, dev: str | None = None, direction: str | None = None, src: str | None = None,
        dst: str | None = None,
    ) -> int:  # fmt: skip
        """Packets matching every given field (`direction` is "in" or "out")."""
        want = {"dev": dev, "dir": direction, "src": src, "dst": dst}
        return sum(r["count"] for r in self.records if all(v is None or r[k] == v for k, v in want.items()))

    def by_dev(self, direction: str, src: str | None = None, dst: str | None = None) -> dict[str, int]:
        """Interface -> packets in `direction` (only interfaces that saw some)."""
        out: Counter[str] = Counter()
        for r in self.records:
            if r["dir"] == direction and src in (None, r["src"]) and dst in (None, r["dst"]):
                out[r["dev"]] += r["count"]
        return dict(sorted(out.items()))


class Capture:
    """`with Capture(netns, ["eth0", "eth1"]) as cap: ...` then `cap.packets.count(...)`."""

    def __init__(self, netns: str, devices: Sequence[str], port: int = PORT):
        self.netns = netns
        self.args = ["capture", *devices, "--port", str(port)]
        self._proc: subprocess.Popen[str] | None = None
        self._packets: Packets | None = None

    def __enter__(self) -> Capture:
        self._proc = _start(self.netns, *self.args)
        return self

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if exc[0] is not None:  # the body failed: stop quietly, its error is the one to see
            _stop(proc)
            return
        try:
            out, err = proc.communicate(timeout=15)  # closes stdin: the capture drains and reports
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise TrafficError(f"capture in {self.netns} did not stop") from None
        if proc.returncode != 0:
            raise TrafficError(f"capture in {self.netns} failed: {err.strip()}")
        self._packets = Packets(tuple(json.loads(out)))

    @property
    def packets(self) -> Packets:
        if self._packets is None:
            raise TrafficError("the capture is still running (read packets after the with block)")
        return self._packets


if __name__ == "__main__":
    main()
