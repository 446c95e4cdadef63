"""The page's query string inside a Voilà kernel, without importing Voilà.

``voila.utils.get_query_string()`` does the same, but importing ``voila.utils`` pulls in the whole
Jupyter server (≈50 MB in every trainee kernel). This module speaks the same small protocol:

* a kernel started for a request has the request in its environment (``QUERY_STRING``);
* a preheated kernel (``VOILA_PREHEAT=True``) ran the notebook before anyone asked for it; it opens
  the websocket ``/voila/query/<kernel id>`` and receives the request info (a JSON object of
  environment variables) when a page request takes the kernel from the pool.
"""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs

_waited = False


def _request_info_url() -> str:
    """Where a preheated kernel receives its request (as in ``voila.utils.wait_for_request``)."""
    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    ip = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    server_url = os.environ.get("VOILA_SERVER_URL", "/")
    base = os.environ.get("VOILA_WS_BASE_URL", server_url)
    return f"{protocol}://{ip}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"


def wait_for_request() -> None:
    """In a preheated kernel, block until a page request takes it; then its info is in ``os.environ``."""
    global _waited
    if _waited or os.environ.get("VOILA_PREHEAT", "False") != "True":
        return
    _waited = True
    from websockets.sync.client import connect

    with connect(_request_info_url(), open_timeout=10, max_size=2**20) as ws:
        info = json.loads(ws.recv())
    for key, value in info.items():
        os.environ[str(key)] = str(value)


def query_string() -> str:
    """The page's query string (``hervat=...&sessie=...``); empty outside Voilà."""
    try:
        wait_for_request()
    except Exception:  # noqa: BLE001 - no request info: behave as a page without a query string
        return ""
    return os.environ.get("QUERY_STRING", "") or ""


def query_params() -> dict[str, str]:
    """The query string as a dict (first value of each name)."""
    return {k: v[0] for k, v in parse_qs(query_string()).items() if v}
