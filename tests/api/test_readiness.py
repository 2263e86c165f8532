"""The server answers at once and loads the index and the model in the background;
``/api/health`` says when it is ready, and a search that comes earlier waits, not fails."""

from __future__ import annotations

import threading

import httpx
import numpy as np

from soundscout.encoders.tiny import TinyEncoder
from soundscout.errors import EncoderUnavailableError
from soundscout.search.service import SearchService
from tests.api.conftest import api_settings
from tests.api.live import Library, LiveServer


class SlowToLoad(TinyEncoder):
    """The tiny encoder, whose first text embedding waits until the test lets it go (a
    model that takes long to load)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        assert self.release.wait(30), "the test never released the model"
        return super()._embed_texts(texts)


def test_health_says_loading_until_the_model_is_ready(library: Library) -> None:
    encoder = SlowToLoad()
    service = SearchService(api_settings(library.library), encoder=encoder)
    live = LiveServer(service.settings, service).start(ready=False)
    try:
        with httpx.Client(base_url=live.url, timeout=30) as http:
            body = http.get("/api/health").json()
            assert body["ok"] is True and body["ready"] is False
            assert body["loading"] in ("index", "model")
            early: dict[str, httpx.Response] = {}
            search = threading.Thread(
                target=lambda: early.update(r=http.get("/api/search", params={"q": "kick"}))
            )
            search.start()
            search.join(0.5)
            assert search.is_alive()  # it waits for the model, it does not fail
            encoder.release.set()
            search.join(30)
            assert early["r"].status_code == 200 and early["r"].json()["results"]
            assert live.wait_ready(timeout=30)
            assert http.get("/api/health").json() == {
                "ok": True,
                "version": body["version"],
                "ready": True,
                "loading": None,
                "problem": None,
            }
    finally:
        encoder.release.set()
        live.stop()
        service.close()


class BrokenModel(TinyEncoder):
    """The tiny encoder whose text side cannot load (weights missing, say)."""

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        raise EncoderUnavailableError("The model weights are missing.", hint="Download them.")


def test_health_names_a_model_that_failed_to_load(library: Library) -> None:
    service = SearchService(api_settings(library.library), encoder=BrokenModel())
    live = LiveServer(service.settings, service).start()
    try:
        with httpx.Client(base_url=live.url, timeout=30) as http:
            body = http.get("/api/health").json()
            assert body["ready"] is True and body["loading"] is None
            assert body["problem"] == "The model weights are missing."
            error = http.get("/api/search", params={"q": "kick"}).json()["error"]
            assert error["message"] == "The model weights are missing."
    finally:
        live.stop()
        service.close()
