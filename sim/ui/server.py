"""Run the Voilà server of :mod:`sim.ui.serve` as a child process, for tests and benchmarks.

``with VoilaServer(folder, data_dir=...) as server:`` starts ``python -m sim.ui.serve <folder>`` on a
free port, from the repository root (so the repository's ``voila.json`` applies), waits until it
answers and until its kernel pools are full, and stops it (and its kernels) afterwards.
Only the standard library is used here; psutil is used when installed to find kernel processes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium, started the way this machine allows: headless, no sandbox (root), and no
# background networking (the closed network refuses those connections).
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kernel_processes(server_pid: int) -> list[Any]:
    """The ipykernel processes started by the server with this process id (psutil), gone ones left out."""
    import psutil

    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.Error:
        return []
    out = []
    for child in children:
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.Error:
            continue
    return out


class VoilaServer:
    """A Voilà server in a child process (the repository's ``voila.json``, a free port, its own data folder)."""

    def __init__(
        self,
        folder: str | Path = "notebooks",
        data_dir: str | Path | None = None,
        pools: dict[str, int] | None = None,
        fill_delay: float | None = None,
        env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        expect_pools: int | None = None,
    ) -> None:
        """Configure; ``pools`` overrides the pool sizes of ``voila.json`` (``{"default": 1}``)."""
        self.folder = Path(folder)
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="sim-data-"))
        self.pools = pools
        self.fill_delay = fill_delay
        self.env = env or {}
        self.extra_args = extra_args or []
        self.expect_pools = expect_pools
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / f"voila-{self.port}.log"

    def command(self) -> list[str]:
        """The command line that starts the server."""
        cmd = [sys.executable, "-m", "sim.ui.serve", str(self.folder), f"--port={self.port}", "--no-browser"]
        if self.pools is not None:
            config = {name: {"pool_size": size} for name, size in self.pools.items()}
            cmd.append(f"--VoilaKernelManager.kernel_pools_config={json.dumps(config)}")
        if self.fill_delay is not None:
            cmd.append(f"--VoilaKernelManager.fill_delay={self.fill_delay}")
        return cmd + self.extra_args

    def start(self, timeout: float = 120) -> VoilaServer:
        """Start and wait until the server answers and its pools are filled."""
        env = dict(os.environ)
        env.update({"SIM_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1"})
        env.update(self.env)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Voilà stopped (exit {self.proc.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/voila/api/themes/", timeout=2):  # noqa: S310
                    pass
            except urllib.error.HTTPError:
                break  # it answers (any HTTP status will do)
            except OSError:
                time.sleep(0.2)
                continue
            break
        else:
            self.stop()
            raise RuntimeError(f"Voilà did not answer within {timeout} s:\n{self.log()}")
        if self.expect_pools:
            self.wait_pools(self.expect_pools, deadline - time.monotonic())
        return self

    def wait_pools(self, count: int, timeout: float = 60) -> None:
        """Wait until ``count`` 'pool is filled' lines are in the log."""
        deadline = time.monotonic() + max(timeout, 1)
        while time.monotonic() < deadline:
            if len(re.findall(r"Kernel pool of .* is filled", self.log())) >= count:
                return
            time.sleep(0.2)
        raise RuntimeError(f"kernel pools not filled within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        """The server's output so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def kernel_pid(self, kernel_id: str) -> int | None:
        """The process id of a kernel started by this server."""
        import psutil

        for child in self.kernel_processes():
            try:
                if any(kernel_id in part for part in child.cmdline()):
                    return child.pid
            except psutil.Error:
                continue
        return None

    def kernel_pids(self) -> list[int]:
        """Process ids of all kernels of this server."""
        return [child.pid for child in self.kernel_processes()]

    def kernel_processes(self) -> list[Any]:
        """The kernel processes of this server (psutil)."""
        return kernel_processes(self.proc.pid) if self.proc is not None else []

    def stop(self) -> None:
        """Stop the server (SIGTERM to its process group, then SIGKILL if needed)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None

    def __enter__(self) -> VoilaServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
