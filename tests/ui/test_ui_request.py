"""The page's query string in a kernel, in a plain and in a preheated Voilà kernel."""

from __future__ import annotations

import json
import threading

import pytest

import sim.ui.request as request


def test_query_string_from_environment(monkeypatch):
    """Without preheat, is the query string read from the environment?"""
    monkeypatch.setattr(request, "_waited", False)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "hervat=abc&sessie=XY12")
    assert request.query_params() == {"hervat": "abc", "sessie": "XY12"}
    monkeypatch.delenv("QUERY_STRING")
    assert request.query_params() == {}


def test_preheated_kernel_waits_for_the_request(monkeypatch):
    """Does a preheated kernel receive the request info over Voilà's websocket, once?"""
    from websockets.sync.server import serve

    seen = []

    def handler(ws):
        seen.append(ws.request.path)
        ws.send(json.dumps({"QUERY_STRING": "hervat=tok123", "SCRIPT_NAME": "/voila/render/trainer.ipynb"}))

    with serve(handler, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        monkeypatch.setattr(request, "_waited", False)
        monkeypatch.setenv("VOILA_PREHEAT", "True")
        monkeypatch.setenv("VOILA_APP_PORT", str(port))
        monkeypatch.setenv("VOILA_SERVER_URL", "/")
        monkeypatch.setenv("VOILA_KERNEL_ID", "k-1")
        monkeypatch.delenv("VOILA_WS_BASE_URL", raising=False)
        monkeypatch.delenv("QUERY_STRING", raising=False)
        assert request.query_params() == {"hervat": "tok123"}
        assert request.query_params() == {"hervat": "tok123"}  # no second wait
        server.shutdown()
    assert seen == ["/voila/query/k-1"]


def test_no_request_server_means_no_query(monkeypatch):
    """If the request info cannot be had, is it treated as a page without a query string?"""
    monkeypatch.setattr(request, "_waited", False)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_PORT", "1")
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert request.query_string() == ""


@pytest.fixture(autouse=True)
def _reset():
    yield
    request._waited = False
