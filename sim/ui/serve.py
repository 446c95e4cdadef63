"""Serve ``notebooks/`` with Voilà, the trainee app at the root address.

``python -m sim.ui.serve [notebooks/] [voila options]`` is plain Voilà (configured by ``voila.json`` in
the working directory) plus one redirect: ``/`` goes to ``/voila/render/trainer.ipynb``, keeping the
query string (``/?hervat=<code>`` resumes). The other notebooks stay at ``/voila/render/<name>``
and the list of notebooks at ``/voila/tree``. This module runs in the server, never in a kernel.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from jupyter_server.utils import url_path_join
from tornado.web import RedirectHandler
from traitlets import Unicode
from voila.app import Voila
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

DEFAULT_ROOT = "notebooks"


class NoDelayKernelWebsocketHandler(VoilaKernelWebsocketHandler):
    """Voilà's kernel websocket with TCP_NODELAY, so a widget update is not held back by Nagle's algorithm.

    Without it, the kernel's reply to a click (an update, then ``status: idle``) waits for the
    browser's delayed ACK: about 40 ms on every click, measured on loopback (Tornado's own docs warn
    about this interaction).
    """

    async def open(self, kernel_id: str) -> None:  # type: ignore[override]
        """Switch Nagle off, then connect as usual."""
        self.set_nodelay(True)
        await super().open(kernel_id)


def no_delay(handlers: list[Any]) -> list[Any]:
    """Voilà's handlers with the kernel websocket replaced by one that switches Nagle off."""
    return [
        (spec[0], NoDelayKernelWebsocketHandler, *spec[2:])
        if len(spec) > 1 and spec[1] is VoilaKernelWebsocketHandler
        else spec
        for spec in handlers
    ]


class TrainerVoila(Voila):
    """Voilà serving a folder, with the root address going to the trainee app."""

    landing = Unicode("trainer.ipynb", config=True, help="Notebook that the root address opens.")

    def init_handlers(self) -> list[Any]:
        """Voilà's handlers, with ``/`` redirected to the landing notebook when serving a folder."""
        # Without TCP_NODELAY every widget update waits ~40 ms for the browser's delayed ACK.
        handlers = no_delay(super().init_handlers())
        if not self.notebook_path:
            target = url_path_join(self.server_url or self.base_url, "voila/render", self.landing)
            handlers.insert(
                0, (url_path_join(self.server_url or self.base_url, "/?"), RedirectHandler, {"url": target})
            )
        return handlers


def prepare() -> None:
    """Before the kernels start: create the database tables, fill the scenario-card cache and the parse cache.

    Twenty preheated kernels starting together would otherwise each parse every scenario file and
    race to create the tables. With the parse cache filled (``parsed/`` in the data folder), a kernel
    loads a chosen scenario from JSON, without importing ruamel or parsing YAML.
    """
    try:
        from sim.protocol import DEFAULT_PROTOCOL, available_profiles, profile_path
        from sim.runs import scenario_dir
        from sim.scenario import scenario_files
        from sim.store import Store
        from sim.ui.catalogue import load_catalogue
        from sim.yamlio import cached_tree

        Store()
        load_catalogue()
        profiles = [profile_path(name) for name in available_profiles()]
        for path in [DEFAULT_PROTOCOL, *profiles, *scenario_files(scenario_dir())]:
            try:
                cached_tree(path)
            except Exception as exc:  # noqa: BLE001 - a broken file is reported when a kernel loads it
                print(f"sim.ui.serve: {path} is not cached: {exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - the kernels will report it in Dutch; the server still starts
        print(f"sim.ui.serve: could not prepare the data folder: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Start the server (``notebooks/`` unless a folder or notebook is given)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(not a.startswith("-") and Path(a).exists() for a in args):
        args.insert(0, DEFAULT_ROOT)
    prepare()
    TrainerVoila.launch_instance(argv=args)


if __name__ == "__main__":  # pragma: no cover
    main()
