"""``sim studiedag``: start everything a training day needs, and print where to go.

1. Creates a session for the chosen scenarios (or reuses one: ``--code``).
2. Starts the trainees' Voilà server (:mod:`sim.ui.rooms`, the repository's ``voila.json``) on all
   network interfaces, port 8866, with as many preheated kernels as people are expected
   (``--deelnemers``) and the session's scenarios loaded in advance.
3. Starts the facilitator's dashboard (``notebooks/facilitator.ipynb``) in a second Voilà server with
   its own configuration, on 127.0.0.1:8867: only this computer can open it. Opened to the network
   (``--dashboard-host 0.0.0.0``) it asks for a facilitator key, which is printed.
4. Waits until the kernels are preheated and prints both addresses (the trainees' with this
   computer's address on the room's network and the session code in it) and the key, if any.
5. Runs until Ctrl-C, then stops both servers.

Everything printed is Dutch: the facilitator reads it.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sim import data_dir
from sim.store import Store, StoreError, normalise_code

ROOT = Path(__file__).resolve().parent.parent
TRAINEE_PORT = 8866
DASHBOARD_PORT = 8867
CULL_IDLE = 90  # s: a closed tab without the unload beacon frees its kernel within CULL_IDLE + CULL_INTERVAL
CULL_INTERVAL = 15
WILDCARD = ("0.0.0.0", "", "::")  # listen on every interface
LOOPBACK = ("127.0.0.1", "localhost")  # this computer only


def lan_address() -> str:
    """This computer's IPv4 address on the local network (the first private one of an interface that is up)."""
    candidates: list[str] = []
    try:
        import psutil

        stats = psutil.net_if_stats()
        for name, addrs in psutil.net_if_addrs().items():
            if name in stats and not stats[name].isup:
                continue
            candidates += [a.address for a in addrs if a.family == socket.AF_INET]
    except Exception:  # noqa: BLE001 - psutil missing or no permission: ask the resolver
        try:
            candidates = socket.gethostbyname_ex(socket.gethostname())[2]
        except OSError:
            candidates = []
    usable = [a for a in candidates if not ipaddress.ip_address(a).is_loopback]
    private = [a for a in usable if ipaddress.ip_address(a).is_private]
    return (private or usable or ["127.0.0.1"])[0]


@dataclass
class Plan:
    """What ``sim studiedag`` will start."""

    code: str
    title: str
    scenarios: list[str]
    trainees: int
    host: str
    port: int
    dashboard_host: str
    dashboard_port: int
    key: str | None

    @property
    def trainee_url(self) -> str:
        """The address for the trainees (this computer's address on the room's network)."""
        return f"http://{_public(self.host)}:{self.port}/?sessie={self.code}"

    @property
    def local_dashboard(self) -> bool:
        """Is the dashboard reachable from this computer only?"""
        return self.dashboard_host in LOOPBACK

    @property
    def dashboard_url(self) -> str:
        """The facilitator's address."""
        host = "127.0.0.1" if self.local_dashboard else _public(self.dashboard_host)
        query = f"?token={self.key}" if self.key else ""
        return f"http://{host}:{self.dashboard_port}/{query}"


def make_plan(
    store: Store,
    scenarios: list[str],
    code: str | None = None,
    title: str = "Studiedag",
    trainees: int = 60,
    host: str = "0.0.0.0",
    port: int = TRAINEE_PORT,
    dashboard_host: str = "127.0.0.1",
    dashboard_port: int = DASHBOARD_PORT,
    key: str | None = None,
) -> Plan:
    """Check the scenarios, create or reuse the session, decide on the facilitator key."""
    from sim.runs import scenario_by_id, scenario_dir
    from sim.scenario import scenario_files

    if code:
        session = store.session(code)
        if session is None:
            raise StoreError(f"Onbekende sessie '{normalise_code(code)}'. 'sim sessions' toont de sessies.")
        code, ids, title = session["code"], list(session["scenarios"]), session["title"]
    else:
        known = sorted(p.stem for p in scenario_files(scenario_dir()))
        ids = list(scenarios) or known
        for sid in ids:
            if sid not in known:
                raise StoreError(f"Onbekend scenario '{sid}'. Beschikbaar: {', '.join(known)}.")
            try:
                scenario_by_id(sid)
            except Exception as exc:  # noqa: BLE001 - a broken file: say which, in Dutch
                raise StoreError(f"Scenario '{sid}' kan niet worden geladen: {exc}") from exc
        code = store.create_session(ids, title)
    if dashboard_host not in LOOPBACK and not key:
        key = secrets.token_urlsafe(12)
    return Plan(code, title, ids, max(1, trainees), host, port, dashboard_host, dashboard_port, key or None)


def server_commands(plan: Plan) -> tuple[list[str], list[str]]:
    """The two server command lines (trainees, facilitator)."""
    trainees = [
        sys.executable,
        "-m",
        "sim.ui.rooms",
        "trainees",
        f"--port={plan.port}",
        f"--Voila.ip={plan.host}",
        "--no-browser",
        f"--RoomVoila.trainees={plan.trainees}",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
    ]
    facilitator = [
        sys.executable,
        "-m",
        "sim.ui.rooms",
        "facilitator",
        f"--port={plan.dashboard_port}",
        f"--Voila.ip={plan.dashboard_host}",
        "--no-browser",
    ]
    if plan.key:
        facilitator.append(f"--Voila.token={plan.key}")
    return trainees, facilitator


def http_get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    """Status and body of a GET; an HTTP error gives its status, no answer at all gives 0."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return 0, b""


def _local(host: str) -> str:
    """The address to reach a server listening on ``host`` from this computer."""
    return "127.0.0.1" if host in WILDCARD else host


def _public(host: str) -> str:
    """The address others use for a server listening on ``host`` (the room's network for a wildcard)."""
    return lan_address() if host in WILDCARD else host


class Studiedag:
    """The two servers of a training day, started and stopped together."""

    def __init__(self, plan: Plan, out: IO[str] | None = None, log_dir: Path | None = None) -> None:
        """Bind to a plan; nothing starts before :meth:`start`."""
        self.plan = plan
        self.out = out or sys.stdout
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def say(self, text: str) -> None:
        """Print a line for the facilitator."""
        self.out.write(text + "\n")
        self.out.flush()

    def start(self) -> None:
        """Start both servers."""
        trainee_cmd, dashboard_cmd = server_commands(self.plan)
        env = dict(os.environ)
        env["SIM_PRELOAD"] = ",".join(self.plan.scenarios)
        dash_env = dict(env)
        dash_env["SIM_SESSION"] = self.plan.code
        dash_env.setdefault("SIM_EXPORT_DIR", str(data_dir() / "verslagen"))
        for cmd, e, name in ((trainee_cmd, env, "deelnemers"), (dashboard_cmd, dash_env, "dashboard")):
            if self.log_dir is not None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                log: Any = (self.log_dir / f"server-{name}.log").open("ab")
            else:
                log = subprocess.DEVNULL
            self.procs.append(
                subprocess.Popen(cmd, cwd=ROOT, env=e, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )

    def wait_ready(self, timeout: float | None = None, progress: Callable[[int, int], None] | None = None) -> bool:
        """Wait until both servers answer and the trainees' kernels are preheated."""
        plan = self.plan
        limit = time.monotonic() + (timeout if timeout is not None else 60 + 4 * plan.trainees)
        status_url = f"http://{_local(plan.host)}:{plan.port}/studiedag/status"
        dash_url = f"http://{_local(plan.dashboard_host)}:{plan.dashboard_port}/"
        last = -1
        while time.monotonic() < limit:
            if any(p.poll() is not None for p in self.procs):
                return False
            code, body = http_get(status_url)
            ready = 0
            if code == 200:
                import json

                ready = int(json.loads(body).get("ready", 0))
            if ready != last and progress is not None:
                progress(ready, plan.trainees)
            last = ready
            if ready >= plan.trainees and http_get(dash_url)[0] in (200, 302, 403):
                return True
            time.sleep(1)
        return False

    def running(self) -> bool:
        """Whether both servers still run."""
        return bool(self.procs) and all(p.poll() is None for p in self.procs)

    def stop(self) -> None:
        """Stop both servers and their kernels."""
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except OSError:
                    p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    p.kill()
                p.wait(timeout=10)

    def banner(self) -> list[str]:
        """What the facilitator needs to know, in Dutch."""
        plan = self.plan
        where = (
            "alleen op deze computer" if plan.local_dashboard else "ook via het netwerk: alleen met de trainerssleutel"
        )
        lines = [
            "",
            "Studiedag staat klaar.",
            f"  Sessiecode:            {plan.code}   ({plan.title}; scenario's: {', '.join(plan.scenarios)})",
            f"  Voor de deelnemers:    {plan.trainee_url}",
            f"  Dashboard (trainer):   {plan.dashboard_url}   ({where})",
        ]
        if plan.key:
            lines.append(f"  Trainerssleutel:       {plan.key}")
        lines += [
            f"  Voorverwarmd voor {plan.trainees} deelnemers tegelijk; wie later komt, wacht een paar seconden.",
            "Deelnemers openen het adres, vullen een schuilnaam in (geen echte naam) en kiezen het scenario.",
            "Stoppen: Ctrl-C. Beslissingen blijven bewaard; na een herstart gaan deelnemers verder waar ze waren.",
            "",
        ]
        return lines


def run(plan: Plan, out: IO[str] | None = None, log_dir: Path | None = None, timeout: float | None = None) -> int:
    """Start, wait, print the addresses, run until Ctrl-C (or a server stops), stop. Returns an exit code."""
    day = Studiedag(plan, out, log_dir)
    day.say(f"Sessie {plan.code}: de servers starten en {plan.trainees} plaatsen worden voorverwarmd ...")
    stop = {"now": False}

    def on_term(_sig: int, _frame: Any) -> None:
        stop["now"] = True

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        day.start()

        def progress(ready: int, total: int) -> None:
            if ready and (ready == total or ready % 10 == 0):
                day.say(f"  voorverwarmd: {ready} van {total}")

        if not day.wait_ready(timeout, progress):
            day.say(
                f"De servers kwamen niet (op tijd) op. Staat er al iets op poort {plan.port} of {plan.dashboard_port}?"
            )
            return 1
        for line in day.banner():
            day.say(line)
        while day.running() and not stop["now"]:
            time.sleep(0.5)
        if not stop["now"]:
            day.say("Een van de servers is gestopt; de studiedag wordt afgesloten.")
            return 1
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        day.say("Servers worden gestopt ...")
        day.stop()
        signal.signal(signal.SIGTERM, previous)
        day.say("Gestopt.")
