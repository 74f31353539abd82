"""Render HTML in real headless Chromium (Debian's `chromium`; `.ci/run` installs it) and read
back what a person sees: the DOM's text after rendering, and a screenshot's pixels.
Importable as `browser` from any test directory."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed here (apt-get install chromium; .ci/run installs"
    " it where it can): the browser rendering tests cannot run",
)
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)  # fmt: skip


def _chromium(page: Path, profile: Path, *args: str) -> str:
    result = subprocess.run(
        [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return result.stdout


class _Text(HTMLParser):
    """The text a page shows: script and style contents dropped, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._hidden += tag in ("style", "script", "title")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("style", "script", "title")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: Path, tmp_path: Path) -> str:
    """The text of ``page`` as Chromium rendered it (``--dump-dom``), one space between words."""
    parser = _Text()
    parser.feed(_chromium(page, tmp_path / "profile", "--dump-dom"))
    return " ".join(" ".join(parser.parts).split())


def screenshot(page: Path, png: Path, width: int, height: int) -> Image.Image:
    _chromium(page, png.parent / "profile", f"--screenshot={png}", f"--window-size={width},{height}")
    return Image.open(png).convert("RGB")


def color_bands(image: Image.Image, color: str) -> list[tuple[int, int]]:
    """The runs of screenshot rows (top, bottom) holding at least 20 pixels of ``color``
    (``#rrggbb``): one run per table row painted in it."""
    rgb = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
    pixels = image.load()
    width, height = image.size
    rows = [y for y in range(height) if sum(pixels[x, y] == rgb for x in range(width)) >= 20]
    bands: list[tuple[int, int]] = []
    for y in rows:
        if bands and bands[-1][1] == y - 1:
            bands[-1] = (bands[-1][0], y)
        else:
            bands.append((y, y))
    return bands
