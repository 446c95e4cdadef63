"""Drive a Voilà app over its websocket, as the browser's widget manager does (load and kill tests).

No browser: the page is fetched over HTTP, the kernel's websocket is opened, widget states are
requested through the ``jupyter.widget.control`` comm, and buttons are clicked and values set with
``comm_msg`` (the message formats are in ``shared/voila-notes.md``). :class:`TraineeBot` plays the
trainee app (:mod:`sim.ui.player`): join a session with a code and a pseudonym, pick a scenario,
decide until the ending.

Needs ``websocket-client`` (a test dependency); the app itself never imports this module.
"""

from __future__ import annotations

import json
import random
import re
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websocket

KERNEL_ID = re.compile(r'kernelId"\s*:\s*"([0-9a-f-]{36})"')
VIEW = re.compile(r'widget-view\+json"\s*:\s*\{\s*"model_id"\s*:\s*"([0-9a-f]{32})"')
CONFIRM_LABELS = ("Bevestig keuze", "Bevestig keuzes", "Bevestig volgorde", "Opslaan en verder")


class PageError(RuntimeError):
    """The page or its kernel did not behave (English message)."""


def _header(msg_type: str, session: str) -> dict[str, Any]:
    return {
        "msg_id": uuid.uuid4().hex,
        "username": "loadtest",
        "session": session,
        "msg_type": msg_type,
        "version": "5.3",
        "date": datetime.now(UTC).isoformat(),
    }


PROTOCOL = "v1.kernel.websocket.jupyter.org"  # what JupyterLab's and Voilà's front ends speak


def _encode(msg: dict[str, Any]) -> bytes:
    """A message in the v1 websocket protocol: offsets, channel, then header/parent/metadata/content as JSON."""
    parts = [json.dumps(msg[k]).encode("utf-8") for k in ("header", "parent_header", "metadata", "content")]
    channel = msg.get("channel", "shell").encode("utf-8")
    offsets = [8 * (1 + 1 + len(parts) + 1)]
    offsets.append(offsets[-1] + len(channel))
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    head = len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + channel + b"".join(parts)


def _decode(frame: str | bytes) -> dict[str, Any]:
    """A message from the kernel websocket (v1 binary protocol; JSON text from an older server)."""
    if isinstance(frame, str):
        return json.loads(frame)
    n = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(n)]
    parts = [frame[offsets[i] : offsets[i + 1]] for i in range(1, n - 1)]
    header = json.loads(parts[0])
    msg: dict[str, Any] = {"header": header, "msg_type": header.get("msg_type")}
    msg["parent_header"] = json.loads(parts[1]) if len(parts) > 1 else {}
    msg["content"] = json.loads(parts[3]) if len(parts) > 3 else {}
    msg["channel"] = frame[offsets[0] : offsets[1]].decode("utf-8")
    return msg


class VoilaPage:
    """One open page of a Voilà app: its kernel, websocket and widget states."""

    def __init__(self, base_url: str, path: str = "voila/render/trainer.ipynb", query: str = "", timeout: float = 60):
        """Address of the server (``http://127.0.0.1:8866``), the page's path and query string."""
        self.base_url = base_url.rstrip("/")
        self.path = path.lstrip("/")
        self.query = query
        self.timeout = timeout
        self.session = uuid.uuid4().hex
        self.kernel_id = ""
        self.root = ""
        self.models: dict[str, dict[str, Any]] = {}  # model id -> {"model_name": ..., "state": {...}}
        self.ws: websocket.WebSocket | None = None
        self.binary = False
        self.opened_at = 0.0
        self.page_at = 0.0  # page HTML received
        self.ready_at = 0.0  # widget states received: the first screen can be used

    # -- opening -------------------------------------------------------------------------------
    def open(self) -> VoilaPage:
        """Load the page, connect to its kernel and read every widget's state."""
        self.opened_at = time.perf_counter()
        url = f"{self.base_url}/{self.path}" + (f"?{self.query}" if self.query else "")
        with urllib.request.urlopen(url, timeout=self.timeout) as resp:
            html = resp.read().decode("utf-8", "replace")
        self.page_at = time.perf_counter()
        found = KERNEL_ID.search(html)
        if not found:
            raise PageError("no kernel id in the page")
        self.kernel_id = found.group(1)
        views = VIEW.findall(html)
        if not views:
            raise PageError("no widget view in the page")
        self.root = views[0]
        ws_url = (
            self.base_url.replace("http", "ws", 1) + f"/api/kernels/{self.kernel_id}/channels?session_id={self.session}"
        )
        self.ws = websocket.create_connection(
            ws_url, timeout=self.timeout, enable_multithread=False, skip_utf8_validation=True, subprotocols=[PROTOCOL]
        )
        self.binary = getattr(self.ws, "subprotocol", None) == PROTOCOL
        self.ws.settimeout(1.0)
        control = uuid.uuid4().hex
        self._send("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
                   metadata={"version": "1.0.0"})  # fmt: skip
        self._send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
        self.pump(lambda m: m.get("_states_received", False), what="widget states")
        self.ready_at = time.perf_counter()
        return self

    def _send(self, msg_type: str, content: dict[str, Any], metadata: dict[str, Any] | None = None) -> str:
        header = _header(msg_type, self.session)
        msg = {
            "header": header,
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "buffers": [],
            "channel": "shell",
        }
        assert self.ws is not None
        if self.binary:
            self.ws.send_binary(_encode(msg))
        else:
            self.ws.send(json.dumps(msg))
        return header["msg_id"]

    # -- reading -------------------------------------------------------------------------------
    def pump(
        self, done: Callable[[dict[str, Any]], bool], what: str = "an answer", timeout: float | None = None
    ) -> None:
        """Read messages, applying widget changes, until ``done(flags)`` holds; raise after ``timeout``.

        ``flags`` holds ``_states_received`` and ``idle:<msg id>`` for every request answered.
        """
        assert self.ws is not None
        deadline = time.perf_counter() + (timeout or self.timeout)
        flags = self._flags
        while not done(flags):
            if time.perf_counter() > deadline:
                raise PageError(f"timed out waiting for {what}")
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if not frame:
                raise PageError("the websocket closed")
            self._apply(_decode(frame), flags)

    @property
    def _flags(self) -> dict[str, Any]:
        if not hasattr(self, "_flag_store"):
            self._flag_store: dict[str, Any] = {}
        return self._flag_store

    def _apply(self, msg: dict[str, Any], flags: dict[str, Any]) -> None:
        kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
        content = msg.get("content", {})
        parent = (msg.get("parent_header") or {}).get("msg_id")
        if kind == "status" and content.get("execution_state") == "idle" and parent:
            flags[f"idle:{parent}"] = True
        elif kind == "comm_open" and content.get("target_name") == "jupyter.widget":
            data = content.get("data", {})
            state = dict(data.get("state", {}))
            self.models[content["comm_id"]] = {"model_name": state.get("_model_name", ""), "state": state}
        elif kind == "comm_msg":
            data = content.get("data", {})
            method = data.get("method")
            if method == "update_states":
                for mid, info in data.get("states", {}).items():
                    self.models[mid] = {"model_name": info.get("model_name", ""), "state": dict(info.get("state", {}))}
                flags["_states_received"] = True
            elif method in ("update", "echo_update"):
                model = self.models.setdefault(content["comm_id"], {"model_name": "", "state": {}})
                model["state"].update(data.get("state", {}))
        elif kind == "comm_close":
            self.models.pop(content.get("comm_id", ""), None)
        elif kind == "error":
            flags.setdefault("errors", []).append(content.get("ename", "error"))

    # -- acting --------------------------------------------------------------------------------
    def request(self, comm_id: str, data: dict[str, Any], what: str) -> float:
        """Send a comm message and wait until the kernel is idle again; return the seconds it took."""
        start = time.perf_counter()
        msg_id = self._send("comm_msg", {"comm_id": comm_id, "data": data})
        self.pump(lambda f: f.get(f"idle:{msg_id}", False), what=what)
        self._flags.pop(f"idle:{msg_id}", None)
        return time.perf_counter() - start

    def click(self, model_id: str) -> float:
        """Click a button; return the seconds until the kernel had done everything the click caused."""
        return self.request(model_id, {"method": "custom", "content": {"event": "click"}}, "a click to be handled")

    def set(self, model_id: str, **state: Any) -> float:
        """Set widget values (as when a person types or selects)."""
        self.models[model_id]["state"].update(state)
        return self.request(model_id, {"method": "update", "state": state, "buffer_paths": []}, "a value to be set")

    def visible(self) -> list[str]:
        """Ids of the widgets reachable from the app's root, in display order."""
        out: list[str] = []
        todo = [self.root]
        seen = set()
        while todo:
            mid = todo.pop(0)
            if mid in seen or mid not in self.models:
                continue
            seen.add(mid)
            out.append(mid)
            kids = self.models[mid]["state"].get("children") or []
            todo[0:0] = [k.removeprefix("IPY_MODEL_") for k in kids if isinstance(k, str)]
        return out

    def find(
        self, model_name: str | None = None, description: str | None = None, startswith: bool = False
    ) -> str | None:
        """The first visible widget of that model and description."""
        for mid in self.visible():
            m = self.models[mid]
            if model_name and m["model_name"] != model_name:
                continue
            if description is not None:
                desc = m["state"].get("description", "")
                if (startswith and not desc.startswith(description)) or (not startswith and desc != description):
                    continue
            return mid
        return None

    def text(self) -> str:
        """All visible HTML text (for checks)."""
        return "\n".join(
            str(self.models[m]["state"].get("value", ""))
            for m in self.visible()
            if self.models[m]["model_name"] == "HTMLModel"
        )

    def close(self, beacon: bool = True) -> None:
        """Close the page: the websocket, and (like the browser's unload) ask the server to end the kernel."""
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:  # noqa: BLE001
                pass
            self.ws = None
        if beacon and self.kernel_id:
            req = urllib.request.Request(
                f"{self.base_url}/voila/api/shutdown/{self.kernel_id}", data=b"", method="POST"
            )
            try:
                urllib.request.urlopen(req, timeout=10).close()
            except Exception:  # noqa: BLE001 - the kernel may be gone already
                pass


@dataclass
class BotResult:
    """What one simulated trainee measured."""

    pseudonym: str
    first_screen: float = 0.0  # seconds from opening the link to a usable first screen
    first_decision: float = 0.0  # seconds the app took from opening the link to the first decision (no typing)
    latencies: list[float] = field(default_factory=list)  # per confirmed decision
    confirmed: int = 0
    finished: bool = False
    kernel_id: str = ""
    error: str | None = None


class TraineeBot:
    """A simulated trainee in the trainee app: join, choose the scenario, decide until the end."""

    def __init__(
        self,
        base_url: str,
        code: str,
        pseudonym: str,
        scenario_title: str,
        seed: int = 1,
        think: tuple[float, float] = (1.0, 3.0),
        timeout: float = 60,
        max_decisions: int = 60,
        typing: tuple[float, float] = (0.0, 0.0),
        reading: tuple[float, float] = (0.0, 0.0),
    ):
        """Where the app is, which session and pseudonym, and how long a person takes.

        ``think``: before each decision; ``typing``: to type the pseudonym before joining; ``reading``:
        before choosing the scenario and before beginning it (all uniform ranges, in seconds).
        """
        self.page = VoilaPage(base_url, query=f"sessie={code}", timeout=timeout)
        self.code = code
        self.pseudonym = pseudonym
        self.scenario_title = scenario_title
        self.rng = random.Random(seed)
        self.think = think
        self.max_decisions = max_decisions
        self.typing = typing
        self.reading = reading
        self.waited = 0.0  # app time (not the person's) from opening to the first decision
        self.result = BotResult(pseudonym)

    def _pause(self, span: tuple[float, float]) -> None:
        if span[1] > 0:
            time.sleep(self.rng.uniform(*span))

    def _need(self, model: str | None, description: str, startswith: bool = False) -> str:
        mid = self.page.find(model, description, startswith)
        if mid is None:
            raise PageError(f"no visible {model or 'widget'} '{description}' (screen text: {self.page.text()[:300]!r})")
        return mid

    def open_and_join(self) -> None:
        """Open the link and join the session; stop on the scenario list (or where a rejoin resumes)."""
        page = self.page
        start = time.perf_counter()
        page.open()
        self.result.kernel_id = page.kernel_id
        self.result.first_screen = page.ready_at - start
        self.waited = self.result.first_screen
        self._pause(self.typing)
        self.waited += page.set(self._need("TextModel", "Sessiecode"), value=self.code)
        self.waited += page.set(self._need("TextModel", "Schuilnaam"), value=self.pseudonym)
        self.waited += page.click(self._need("ButtonModel", "Meedoen met de sessie"))

    def start_scenario(self) -> None:
        """Pick the scenario and begin."""
        self._pause(self.reading)
        self.waited += self.page.click(self._need("ButtonModel", f"Kies: {self.scenario_title}"))
        self._pause(self.reading)
        self.waited += self.page.click(self._need("ButtonModel", "Begin het scenario"))

    def confirm_button(self) -> str | None:
        """The visible confirm button, if the play screen is shown."""
        for label in CONFIRM_LABELS:
            mid = self.page.find("ButtonModel", label)
            if mid is not None:
                return mid
        return None

    def decide(self) -> float:
        """Make one decision like a person: select, then confirm; return the confirm's latency."""
        page = self.page
        radio = page.find("RadioButtonsModel", "Jouw keuze")
        if radio is not None:
            labels = page.models[radio]["state"].get("_options_labels", [])
            page.set(radio, index=self.rng.randrange(len(labels)))
        else:
            checks = [m for m in page.visible() if page.models[m]["model_name"] == "CheckboxModel"]
            text = page.find("TextareaModel", "Jouw antwoord")
            order = page.find("SelectModel", "Volgorde")
            if checks:
                page.set(self.rng.choice(checks), value=True)
            elif order is not None:
                # A person looks at a step before keeping the offered order (an untouched order
                # confirmed at once is taken for the second click of a double click).
                state = page.models[order]["state"]
                steps = len(state.get("_options_labels", []))
                if steps > 1:
                    page.set(order, index=((state.get("index") or 0) + 1) % steps)
            elif text is not None:
                page.set(text, value="Ik neem mee: eerst het slachtoffer steunen.")
        button = self.confirm_button()
        if button is None:
            raise PageError("no confirm button")
        before = page.text()
        latency = page.click(button)
        if "Kies eerst" in page.text() or "Kies ten minste" in page.text() or page.text() == before:
            raise PageError("the decision was not accepted")
        return latency

    def play(self, stop_after: int | None = None, start: float | None = None) -> BotResult:
        """Decide until the ending (or ``stop_after`` decisions); a bot that is on the play screen."""
        t0 = start if start is not None else time.perf_counter()
        made = 0
        while made < self.max_decisions:
            if self.page.find("ButtonModel", "Speel dit scenario opnieuw") is not None:
                self.result.finished = True
                break
            if stop_after is not None and made >= stop_after:
                break
            if self.confirm_button() is None:
                raise PageError(f"neither a decision nor the debrief on screen: {self.page.text()[:300]!r}")
            if not self.result.first_decision:
                # The app's share of the way to the first decision; the person's typing and reading not counted.
                self.result.first_decision = self.waited or (time.perf_counter() - t0)
            time.sleep(self.rng.uniform(*self.think))
            self.result.latencies.append(self.decide())
            self.result.confirmed += 1
            made += 1
        return self.result

    def run(self, close: bool = True, beacon: bool = True) -> BotResult:
        """The whole visit: open, join, play to the end, close the tab; errors are recorded, not raised."""
        start = time.perf_counter()
        try:
            self.open_and_join()
            self.start_scenario()
            self.play(start=start)
            errors = self.page._flags.get("errors")
            if errors:
                self.result.error = f"kernel errors: {errors}"
        except Exception as exc:  # noqa: BLE001 - a load test reports, it does not stop
            self.result.error = f"{type(exc).__name__}: {exc}"
        finally:
            if close:
                self.page.close(beacon=beacon)
        return self.result
