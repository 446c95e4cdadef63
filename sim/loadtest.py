"""Load test of a training day: N simulated trainees against the real trainee server, over its websocket.

Starts the trainees' Voilà server (:mod:`sim.ui.rooms`, with the repository's ``voila.json``) on
loopback with its own data folder, creates a session, waits until the preheated kernels are ready,
and lets N :class:`~sim.voila_client.TraineeBot` arrive within a few seconds. Each joins with the
code and a pseudonym, plays the whole scenario with a short think time before every decision, and
finishes. Then it checks the store (every run there, finished, no confirmed decision missing), that
the facilitator's dashboard counts what the store holds, and that closed tabs free their kernels
(half of the bots close with the browser's unload beacon, half vanish without it).

Used by ``benchmarks/load_test.py`` (N from the command line) and ``tests/test_load.py`` (N=10).
Only loopback addresses are used; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sim.ui.server import free_port, kernel_processes

ROOT = Path(__file__).resolve().parent.parent

TARGET_FIRST_SCREEN = 5.0  # s: every trainee's first screen usable
TARGET_P95 = 0.250  # s: p95 latency of a decision
TARGET_FREED = 120.0  # s: closed tabs free their kernels


@dataclass
class Server:
    """A trainee server started for a test; stop it with :meth:`stop` (or :meth:`kill`)."""

    proc: subprocess.Popen
    port: int
    data_dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        """Base address."""
        return f"http://127.0.0.1:{self.port}"

    def status(self) -> dict[str, Any] | None:
        """The server's ``/studiedag/status`` (None while it does not answer)."""
        try:
            with urllib.request.urlopen(f"{self.url}/studiedag/status", timeout=5) as resp:
                return json.loads(resp.read())
        except (OSError, ValueError):
            return None

    def wait_ready(self, ready: int, timeout: float) -> float:
        """Wait until ``ready`` preheated kernels are ready; return the seconds waited."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self.log_path}")
            st = self.status()
            if st is not None and st["ready"] >= ready:
                return time.perf_counter() - start
            time.sleep(0.5)
        raise TimeoutError(f"{ready} kernels not ready after {timeout:.0f} s (status: {self.status()})")

    def kernel_alive(self, kernel_id: str) -> bool:
        """Whether the server still has this kernel."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/kernels/{kernel_id}", timeout=5):
                return True
        except urllib.error.HTTPError as exc:
            return exc.code != 404
        except OSError:
            return False

    def kernel_processes(self) -> list[Any]:
        """The server's kernel processes (psutil)."""
        return kernel_processes(self.proc.pid)

    def kill(self) -> None:
        """SIGKILL the server process only (as a crash would); its kernels notice and exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server and everything it started."""
        kids = self.kernel_processes()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for p in kids:
            try:
                p.kill()
            except Exception:  # noqa: BLE001 - gone already
                pass


def start_server(
    data_dir: Path,
    trainees: int,
    port: int | None = None,
    cull_timeout: int = 60,
    cull_interval: int = 10,
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> Server:
    """Start the trainees' server on 127.0.0.1 with the repository's ``voila.json``."""
    port = port or free_port()
    log_path = data_dir / f"server-{port}.log"
    full_env = {**os.environ, "SIM_DATA_DIR": str(data_dir), **(env or {})}
    full_env.pop("SIM_DATABASE_URL", None) if "SIM_DATABASE_URL" not in (env or {}) else None
    args = [
        sys.executable,
        "-m",
        "sim.ui.rooms",
        "trainees",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--no-browser",
        f"--RoomVoila.trainees={trainees}",
        f"--MappingKernelManager.cull_idle_timeout={cull_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        *(extra or []),
    ]
    log = log_path.open("ab")
    proc = subprocess.Popen(args, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(proc, port, data_dir, log_path)


# --- the bots, in worker processes --------------------------------------------------------------


def _run_bots(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run some bots, each in a thread, each starting at its wall-clock time; return their results."""
    from sim.voila_client import TraineeBot

    results: list[dict[str, Any]] = [{} for _ in specs]

    def one(i: int, spec: dict[str, Any]) -> None:
        delay = spec["at"] - time.time()
        if delay > 0:
            time.sleep(delay)
        bot = TraineeBot(
            spec["url"], spec["code"], spec["pseudonym"], spec["title"], seed=spec["seed"],
            think=tuple(spec["think"]), timeout=spec["timeout"], typing=tuple(spec["typing"]),
            reading=tuple(spec["reading"]),
        )  # fmt: skip
        res = bot.run(close=False)
        results[i] = asdict(res)
        Path(spec["close_flag"]).with_name(f"done-{spec['pseudonym']}").touch()

        # Keep the tab open until told to close (the parent measures memory first).
        while not Path(spec["close_flag"]).exists() and time.time() - spec["at"] < spec["timeout"] * 20:
            time.sleep(0.2)
        bot.page.close(beacon=spec["beacon"])
        results[i]["closed_at"] = time.time()

    threads = [threading.Thread(target=one, args=(i, s), daemon=True) for i, s in enumerate(specs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@dataclass
class LoadReport:
    """Every figure the load test prints."""

    n: int
    arrive_within: float
    think: tuple[float, float]
    scenario: str
    typing: tuple[float, float] = (0.0, 0.0)
    reading: tuple[float, float] = (0.0, 0.0)
    preheat_seconds: float = 0.0
    first_screen_max: float = 0.0
    first_screen_median: float = 0.0
    first_decision_max: float = 0.0
    first_decision_median: float = 0.0
    decisions: int = 0
    latency_median: float = 0.0
    latency_p95: float = 0.0
    latency_max: float = 0.0
    errors: list[str] = field(default_factory=list)
    finished: int = 0
    stored_runs: int = 0
    stored_finished: int = 0
    stored_decisions: int = 0
    lost_decisions: int = 0
    dashboard_equal: bool = False
    dashboard_refresh: float = 0.0
    kernels: int = 0
    kernel_rss_mb: float = 0.0
    kernel_pss_mb: float = 0.0
    server_rss_mb: float = 0.0
    play_seconds: float = 0.0
    cpu_server: float = 0.0  # CPU seconds used while the group played, by the server process ...
    cpu_kernels: float = 0.0  # ... by all kernels together ...
    cpu_clients: float = 0.0  # ... and by the simulated trainees (the load generator, same machine)
    freed_seconds: float | None = None
    freed_all: bool = False
    missed: list[str] = field(default_factory=list)

    def check(self) -> list[str]:
        """The targets missed (empty when all are met)."""
        missed = []
        if self.first_screen_max > TARGET_FIRST_SCREEN:
            missed.append(f"first screen {self.first_screen_max:.2f} s > {TARGET_FIRST_SCREEN:.0f} s")
        if self.latency_p95 > TARGET_P95:
            missed.append(f"p95 decision latency {1000 * self.latency_p95:.0f} ms > {1000 * TARGET_P95:.0f} ms")
        if self.errors:
            missed.append(f"{len(self.errors)} error(s)")
        if self.lost_decisions:
            missed.append(f"{self.lost_decisions} confirmed decision(s) not in the store")
        if self.stored_finished != self.n or self.finished != self.n:
            missed.append(f"finished: {self.finished} bots, {self.stored_finished} runs in the store, of {self.n}")
        if not self.dashboard_equal:
            missed.append("the dashboard's numbers differ from the store's")
        if not self.freed_all or (self.freed_seconds or 0) > TARGET_FREED:
            missed.append(f"closed tabs did not free their kernels within {TARGET_FREED:.0f} s")
        self.missed = missed
        return missed

    def lines(self) -> list[str]:
        """The report, one figure a line."""
        ok = "ok" if not self.missed else "MISSED: " + "; ".join(self.missed)
        freed = f"{self.freed_seconds:.1f} s" if self.freed_seconds is not None else "not within the wait"
        return [
            f"load test: {self.n} trainees, arriving within {self.arrive_within:g} s, scenario {self.scenario}; "
            f"a trainee types the pseudonym in {self.typing[0]:g}-{self.typing[1]:g} s, reads "
            f"{self.reading[0]:g}-{self.reading[1]:g} s before choosing and before beginning, thinks "
            f"{self.think[0]:g}-{self.think[1]:g} s before each decision",
            f"preheating {self.n} kernels took {self.preheat_seconds:.1f} s (before anyone arrived)",
            f"first screen usable:      max {self.first_screen_max:.2f} s, median {self.first_screen_median:.2f} s"
            f" (target: every one within {TARGET_FIRST_SCREEN:.0f} s)",
            f"first decision clickable: max {self.first_decision_max:.2f} s, median {self.first_decision_median:.2f} s"
            " (the app's time for page, join, choose and begin; typing and reading not counted)",
            f"decision latency over {self.decisions} decisions: median {1000 * self.latency_median:.0f} ms, "
            f"p95 {1000 * self.latency_p95:.0f} ms, max {1000 * self.latency_max:.0f} ms"
            f" (target: p95 at most {1000 * TARGET_P95:.0f} ms)",
            f"errors: {len(self.errors)}" + (f" ({'; '.join(self.errors[:5])})" if self.errors else ""),
            f"store: {self.stored_runs} runs ({self.stored_finished} finished), {self.stored_decisions} decisions; "
            f"confirmed decisions missing: {self.lost_decisions}",
            f"dashboard equals store: {'yes' if self.dashboard_equal else 'NO'}"
            f" (refresh {1000 * self.dashboard_refresh:.0f} ms)",
            f"kernel memory: {self.kernels} kernels, RSS {self.kernel_rss_mb:.0f} MB in total "
            f"({self.kernel_rss_mb / max(1, self.kernels):.0f} MB each), PSS {self.kernel_pss_mb:.0f} MB; "
            f"server RSS {self.server_rss_mb:.0f} MB",
            f"CPU while the group played ({self.play_seconds:g} s, 2 cores): server {self.cpu_server:g} s, kernels "
            f"{self.cpu_kernels:g} s, load generator {self.cpu_clients:g} s",
            f"closed tabs freed their kernels after {freed} (half closed with the unload beacon, half without;"
            f" target: within {TARGET_FREED:.0f} s)",
            f"result: {ok}",
        ]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run_load(
    n: int,
    arrive_within: float = 3.0,
    think: tuple[float, float] = (1.0, 3.0),
    typing: tuple[float, float] = (2.0, 6.0),
    reading: tuple[float, float] = (1.0, 3.0),
    scenario: str = "klassenapp-vo3",
    workers: int = 4,
    seed: int = 1,
    timeout: float = 60.0,
    keep: bool = False,
    log: Any = None,
    cull_timeout: int | None = None,
    cull_interval: int | None = None,
) -> LoadReport:
    """Run the whole load test; return the report (its ``missed`` lists the targets missed)."""
    from sim.dashboard import SessionDashboard, store_counts, view_counts
    from sim.runs import scenario_by_id
    from sim.store import Store

    say = log or (lambda text: None)
    report = LoadReport(
        n=n, arrive_within=arrive_within, think=think, scenario=scenario, typing=typing, reading=reading
    )
    data_dir = Path(tempfile.mkdtemp(prefix="sim-load-"))
    store = Store(f"sqlite:///{data_dir / 'sim.db'}")
    title = scenario_by_id(scenario).data.title
    code = store.create_session([scenario], "Belastingtest")
    from sim.studiedag import CULL_IDLE, CULL_INTERVAL

    server = start_server(
        data_dir,
        trainees=n,
        env={"SIM_PRELOAD": scenario},
        cull_timeout=cull_timeout or CULL_IDLE,  # the training day's settings unless a test asks otherwise
        cull_interval=cull_interval or CULL_INTERVAL,
    )
    close_flag = data_dir / "close-now"
    try:
        say(f"waiting for {n} preheated kernels ...")
        report.preheat_seconds = server.wait_ready(n, timeout=60 + 3 * n)
        time.sleep(2)  # let the last notebooks settle
        rng = random.Random(seed)
        t0 = time.time() + 1.0
        specs = [
            {
                "url": server.url,
                "code": code,
                "pseudonym": f"tester-{i + 1}",
                "title": title,
                "seed": seed * 1000 + i,
                "think": list(think),
                "typing": list(typing),
                "reading": list(reading),
                "timeout": timeout,
                "at": t0 + rng.uniform(0, arrive_within),
                "beacon": i % 2 == 0,
                "close_flag": str(close_flag),
            }
            for i in range(n)
        ]
        say(f"{n} trainees arrive ...")
        cpu_before = _cpu(server)
        groups = [specs[i::workers] for i in range(workers)]
        results: list[dict[str, Any]] = []
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_run_bots, g) for g in groups if g]
            # While the tabs are still open: memory, store, dashboard.
            deadline = time.time() + timeout * 10
            while time.time() < deadline:
                done = len(list(data_dir.glob("done-*")))
                if done >= n or any(f.done() for f in futures):
                    break
                time.sleep(1)
            time.sleep(1)
            cpu_after = _cpu(server)
            report.cpu_server, report.cpu_kernels, report.cpu_clients = (
                round(b - a, 1) for a, b in zip(cpu_before, cpu_after, strict=True)
            )
            report.play_seconds = round(time.time() - t0, 1)
            _measure_memory(server, report)
            close_flag.touch()
            for f in futures:
                results.extend(f.result())
        closed_at = max((r.get("closed_at", 0) for r in results), default=time.time())

        first = [r["first_screen"] for r in results if r.get("first_screen")]
        firstd = [r["first_decision"] for r in results if r.get("first_decision")]
        lat = [x for r in results for x in r.get("latencies", [])]
        report.first_screen_max = max(first, default=float("inf"))
        report.first_screen_median = statistics.median(first) if first else float("inf")
        report.first_decision_max = max(firstd, default=float("inf"))
        report.first_decision_median = statistics.median(firstd) if firstd else float("inf")
        report.decisions = len(lat)
        report.latency_median = statistics.median(lat) if lat else 0.0
        report.latency_p95 = _percentile(lat, 0.95)
        report.latency_max = max(lat, default=0.0)
        report.errors = [f"{r['pseudonym']}: {r['error']}" for r in results if r.get("error")]
        report.finished = sum(1 for r in results if r.get("finished"))

        # The store: every run there, finished, with every confirmed decision.
        rows = store.session_runs(code)
        by_name = {r["pseudonym"]: r for r in rows}
        report.stored_runs = len(rows)
        report.stored_finished = sum(1 for r in rows if r["ending"] is not None)
        report.stored_decisions = len(store.session_decisions(code))
        report.lost_decisions = sum(
            max(0, r.get("confirmed", 0) - (by_name.get(r["pseudonym"], {}).get("decisions") or 0)) for r in results
        )
        if report.stored_decisions < sum(r.get("confirmed", 0) for r in results):
            report.lost_decisions = max(
                report.lost_decisions, sum(r.get("confirmed", 0) for r in results) - report.stored_decisions
            )
        start = time.perf_counter()
        view = SessionDashboard(store, code).refresh()
        report.dashboard_refresh = time.perf_counter() - start
        report.dashboard_equal = (
            view_counts(view) == store_counts(store, code)
            and view.decisions == sum(r.get("confirmed", 0) for r in results)
            and view.participants == n
        )

        # Closed tabs: all trainee kernels gone?
        kernels = [r["kernel_id"] for r in results if r.get("kernel_id")]
        say("waiting for closed tabs to free their kernels ...")
        limit = time.time() + TARGET_FREED + 30
        alive = list(kernels)
        while alive and time.time() < limit:
            alive = [k for k in alive if server.kernel_alive(k)]
            if alive:
                time.sleep(2)
        report.freed_all = not alive
        report.freed_seconds = (time.time() - closed_at) if not alive else None
    finally:
        server.stop()
        store.dispose()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    report.check()
    return report


def _cpu(server: Server) -> tuple[float, float, float]:
    """CPU seconds (user + system) so far of the server, its kernels, and this process's workers."""
    import psutil

    def used(p: Any) -> float:
        try:
            t = p.cpu_times()
            return t.user + t.system
        except psutil.Error:
            return 0.0

    try:
        srv = used(psutil.Process(server.proc.pid))
    except psutil.Error:
        srv = 0.0
    kernel_procs = server.kernel_processes()
    kernels = sum(used(p) for p in kernel_procs)
    me = psutil.Process()
    skip = {server.proc.pid, *(p.pid for p in kernel_procs)}
    clients = used(me) + sum(used(p) for p in me.children(recursive=True) if p.pid not in skip)
    return srv, kernels, clients


def _measure_memory(server: Server, report: LoadReport) -> None:
    import psutil

    rss = pss = 0.0
    procs = server.kernel_processes()
    for p in procs:
        try:
            info = p.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", 0)
        except psutil.Error:
            continue
    report.kernels = len(procs)
    report.kernel_rss_mb = rss / 2**20
    report.kernel_pss_mb = pss / 2**20
    try:
        report.server_rss_mb = psutil.Process(server.proc.pid).memory_info().rss / 2**20
    except psutil.Error:
        pass
