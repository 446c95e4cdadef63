"""The two Voilà servers of a training day (studiedag): one for the trainees, one for the facilitator.

``python -m sim.ui.rooms trainees [options]`` serves ``notebooks/`` like :mod:`sim.ui.serve` (same
``voila.json``, ``/`` opens the trainee app) with what a room full of people needs:

* **No facilitator pages.** Notebooks named in ``hidden`` (default ``facilitator.ipynb``) answer
  404 however the path is spelled (``./``, ``a/../``, percent-encoding, symlinks: the real path is
  compared after decoding), are never preheated, and the notebook list (``/voila/tree``,
  ``/voila/api/contents``) is switched off.
* **A pool sized for the group, refilled gently.** ``--RoomVoila.trainees=N`` preheats N kernels of
  the trainee app before anyone arrives, one after the other (``start_spacing``; all at once, some
  notebooks time out waiting for their output). After the rush the pool is topped up only to
  ``refill_target`` kernels, one kernel every ``refill_spacing`` seconds and not before
  ``fill_delay`` (``voila.json``): in stock Voilà 60 replacement kernels start at the same moment
  and take both cores for half a minute (``shared/voila-notes.md``). A request that finds no ready
  kernel starts one at once instead of waiting for a refill that has not begun.
* **A status address**, ``/studiedag/status``: how many preheated kernels are ready (the training-day
  command waits for it before it prints the addresses).

``python -m sim.ui.rooms facilitator [options]`` serves only ``notebooks/facilitator.ipynb``, with its
own configuration (``sim/ui/facilitator-voila/voila.json``, not the trainees'), on 127.0.0.1 unless
told otherwise; with ``--Voila.token=KEY`` it asks for the facilitator key.

This module runs in the servers, never in a kernel.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Float, Int, List, Unicode, default
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from sim.ui.serve import TrainerVoila, no_delay, prepare

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
FACILITATOR_NOTEBOOK = NOTEBOOKS / "facilitator.ipynb"
FACILITATOR_CONFIG_DIR = Path(__file__).resolve().parent / "facilitator-voila"
HIDDEN_DEFAULT = ["facilitator.ipynb"]


def _ready(task: asyncio.Future) -> bool:
    """A pool task whose kernel started (its notebook may still be running)."""
    return task.done() and not task.cancelled() and task.exception() is None


def _waiting(task: asyncio.Future) -> bool:
    """A started kernel whose notebook ran up to ``wait_for_request()``: its page is served at once."""
    return _ready(task) and task.result().get("kernel_id") in RequestInfoSocketHandler._waiters


def paced(base: type, refill_target: int, refill_spacing: float, start_spacing: float) -> type:
    """A preheating kernel manager class that starts kernels one after another and refills gently.

    Voilà's pool holds tasks. Stock Voilà starts the whole pool at once (60 kernels at once on two
    cores: notebooks time out waiting for output), counts a replacement task that still sleeps
    ``fill_delay`` as a pool member and hands it out in turn (so the 61st visitor of a pool of 60
    waits ``fill_delay``), and starts all replacements at the same moment. Here the first fill starts
    a kernel every ``start_spacing`` seconds; a visitor gets a kernel whose notebook already waits for
    a request, else a started one, else a fresh kernel at once; and after a kernel is taken, refills
    start ``refill_spacing`` seconds apart and only while fewer than ``refill_target`` are pooled.
    """
    if getattr(base, "_paced", False):
        return base

    class PacedKernelManager(base):  # type: ignore[misc, valid-type]
        _paced = True
        _next_slot = 0.0

        def get_pool_size(self, notebook_name: str) -> int:
            return sum(1 for task in self._pools.get(notebook_name, ()) if _ready(task))

        async def get_rendered_notebook(self, notebook_name: str, extra_kernel_env_variables: dict | None = None, **kw):
            pool = self._pools.get(notebook_name, [])
            # Stable sort: kernels waiting for a request first, then started ones, oldest first.
            pool.sort(key=lambda task: (not _waiting(task), not _ready(task)))
            failed = [task for task in pool if task.done() and not _ready(task)]
            for task in failed:  # a kernel that failed to start is dropped, not handed out
                pool.remove(task)
            return await super().get_rendered_notebook(notebook_name, extra_kernel_env_variables or {}, **kw)

        def _one_more(self, delay: float, notebook_name: str | None, **kw: Any) -> None:
            """Add exactly one kernel to the pool, started after ``delay`` seconds."""
            config = self.kernel_pools_config
            key = notebook_name if notebook_name in config else "default"
            entry = config.setdefault(key, {})
            saved = entry.get("pool_size")
            entry["pool_size"] = len(self._pools.get(notebook_name, [])) + 1
            try:
                super().fill_if_needed(delay, notebook_name, **kw)
            finally:
                if saved is None:
                    entry.pop("pool_size", None)
                else:
                    entry["pool_size"] = saved

        def _slot(self, earliest: float, spacing: float) -> float:
            """Seconds from now until the next free start slot at or after ``earliest`` seconds."""
            now = asyncio.get_event_loop().time()
            slot = max(now + earliest, type(self)._next_slot)
            type(self)._next_slot = slot + spacing
            return slot - now

        def fill_if_needed(self, delay: float | None = None, notebook_name: str | None = None, **kw: Any) -> None:
            config = self.kernel_pools_config
            size = config.get(notebook_name, config.get("default", {})).get("pool_size", 1)
            pool = self._pools.get(notebook_name, [])
            if delay is not None:  # the first fill at start-up: one kernel after the other
                for _ in range(size - len(pool)):
                    self._one_more(self._slot(delay, start_spacing), notebook_name, **kw)
                self._pools.setdefault(notebook_name, [])
                return
            if len(pool) < min(size, refill_target):
                self._one_more(self._slot(self.fill_delay, refill_spacing), notebook_name, **kw)

    return PacedKernelManager


class _HiddenMixin:
    """Refuse hidden notebooks, compared by real path after URL decoding."""

    def _is_hidden(self, path: str | None) -> bool:
        if not path:
            return False
        root = self.settings.get("room_root")  # type: ignore[attr-defined]
        if not root:
            return False
        real = os.path.realpath(os.path.join(root, path.lstrip("/")))
        settings = self.settings  # type: ignore[attr-defined]
        return real in settings.get("room_hidden", ()) or os.path.basename(real) in settings.get(
            "room_hidden_names", ()
        )


class RoomRenderHandler(_HiddenMixin, TornadoVoilaHandler):
    """The notebook page, except for hidden notebooks (404)."""

    @web.authenticated
    async def get(self, path: str | None = None) -> None:
        """Render, unless hidden."""
        if self._is_hidden(path):
            raise web.HTTPError(404)
        await super().get(path)


class NotFoundHandler(web.RequestHandler):
    """404 for addresses a trainee has no business with."""

    def get(self, *args: Any, **kwargs: Any) -> None:
        """Nothing here."""
        raise web.HTTPError(404)


class StatusHandler(web.RequestHandler):
    """``/studiedag/status``: how many preheated kernels of the trainee app are ready.

    ``ready`` counts kernels whose notebook ran up to the point where it waits for a page request
    (``sim.ui.request.wait_for_request``); ``started`` also those still running their notebook.
    """

    def get(self) -> None:
        """JSON: ready, pooled (ready or starting) and running kernels."""
        app: RoomVoila = self.settings["room_app"]
        km = app.kernel_manager
        pools = getattr(km, "_pools", {})
        pool = pools.get(app.landing, [])
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(
            json.dumps(
                {
                    "ready": sum(1 for t in pool if _waiting(t)),
                    "started": sum(1 for t in pool if _ready(t)),
                    "pooled": len(pool),
                    "kernels": len(km.list_kernel_ids()),
                    "target": app.trainees,
                }
            )
        )


class RoomVoila(TrainerVoila):
    """The trainees' server of a training day (see the module docstring)."""

    hidden = List(Unicode(), HIDDEN_DEFAULT, config=True, help="Notebooks the trainees may not open.")
    trainees = Int(0, config=True, help="Preheat this many kernels of the trainee app (0: as in voila.json).")
    refill_target = Int(5, config=True, help="After the rush, keep this many preheated kernels in reserve.")
    refill_spacing = Float(3.0, config=True, help="Seconds between two refill kernels.")
    start_spacing = Float(1.0, config=True, help="Seconds between two kernel starts when the pool first fills.")
    iopub_timeout = Int(60, config=True, help="Seconds a preheating notebook may wait for its output.")

    def init_settings(self) -> dict[str, Any]:
        """Size the pool for the group, keep hidden notebooks out of it, and pace the kernel starts."""
        import voila.app

        os.environ.pop("SIM_FACILITATOR_SERVER", None)  # the trainees' kernels are never the facilitator's

        kmc = self.config.VoilaKernelManager
        pools = dict(kmc.get("kernel_pools_config", {}) or {})
        if self.trainees > 0:
            pools[self.landing] = {**pools.get(self.landing, {}), "pool_size": self.trainees}
        pools.setdefault("default", {"pool_size": 1})
        kmc.kernel_pools_config = pools
        kmc.preheat_denylist = list(kmc.get("preheat_denylist", []) or []) + list(self.hidden)
        # Many kernels starting together answer slowly; wait for a notebook's output instead of losing it.
        executor = self.config.VoilaExecutor
        executor.iopub_timeout = max(int(executor.get("iopub_timeout", 0) or 0), self.iopub_timeout)
        original = voila.app.voila_kernel_manager_factory

        def factory(base_class: type, preheat_kernel: bool, *args: Any, **kwargs: Any) -> type:
            cls = original(base_class, preheat_kernel, *args, **kwargs)
            if not preheat_kernel:
                return cls
            return paced(cls, max(1, self.refill_target), self.refill_spacing, self.start_spacing)

        voila.app.voila_kernel_manager_factory = factory
        try:
            settings = super().init_settings()
        finally:
            voila.app.voila_kernel_manager_factory = original
        root = os.path.realpath(self.root_dir)
        settings["room_root"] = root
        settings["room_hidden"] = frozenset(os.path.realpath(os.path.join(root, h)) for h in self.hidden)
        settings["room_hidden_names"] = frozenset(self.hidden)
        settings["room_app"] = self
        return settings

    def init_handlers(self) -> list[Any]:
        """Voilà's handlers with hidden notebooks refused, no notebook list, and the status address."""
        handlers = []
        for spec in super().init_handlers():  # TrainerVoila's: Nagle already off
            handler = spec[1] if len(spec) > 1 else None
            if handler is TornadoVoilaHandler:
                spec = (spec[0], RoomRenderHandler, *spec[2:])
            elif handler in (TornadoVoilaTreeHandler, VoilaContentsHandler):
                spec = (spec[0], NotFoundHandler)
            handlers.append(spec)
        base = self.server_url or self.base_url
        handlers.insert(0, (url_path_join(base, "/studiedag/status"), StatusHandler))
        return handlers


class FacilitatorVoila(Voila):
    """The facilitator's server: only the dashboard notebook, its own configuration, localhost by default.

    Its kernels get ``SIM_FACILITATOR_SERVER=1``; the dashboard refuses to show anything in a Voilà
    kernel without it (:func:`sim.ui.facilitator.served_to_trainees`).
    """

    @default("config_file_paths")
    def _config_file_paths_default(self) -> list[str]:
        return [str(FACILITATOR_CONFIG_DIR)]

    def init_settings(self) -> dict[str, Any]:
        """Mark this server's kernels as the facilitator's (kernels inherit the server's environment)."""
        os.environ["SIM_FACILITATOR_SERVER"] = "1"
        return super().init_settings()

    def init_handlers(self) -> list[Any]:
        """Voilà's handlers, the kernel websocket without Nagle's delay."""
        return no_delay(super().init_handlers())


def main(argv: list[str] | None = None) -> None:
    """``python -m sim.ui.rooms trainees|facilitator [voila options]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    which = args.pop(0) if args and args[0] in ("trainees", "facilitator") else "trainees"
    if which == "facilitator":
        if not any(not a.startswith("-") for a in args):
            args.insert(0, str(FACILITATOR_NOTEBOOK))
        FacilitatorVoila.launch_instance(argv=args)
        return
    if not any(not a.startswith("-") for a in args):
        args.insert(0, str(NOTEBOOKS))
    prepare()
    RoomVoila.launch_instance(argv=args)


if __name__ == "__main__":  # pragma: no cover
    main()
