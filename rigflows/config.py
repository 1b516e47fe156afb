"""Settings from environment variables, with defaults that run the bundled data locally."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"
TOPOJSON_PATH = ASSETS_DIR / "topojson" / "world_110m.json"
#: Assets the page does not load with itself (Dash's `assets_ignore`), but fetches when a reader
#: first needs them: the zip library only the press kit uses (assets/presskit.js loads it).
ZIP_LIBRARY = "fflate-zip.min.js"
LAZY_ASSETS = (ZIP_LIBRARY,)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str
    port: int
    debug: bool
    #: Who may embed the page in a frame (CSP frame-ancestors), e.g. "'self' https://news.example".
    frame_ancestors: str


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Read RIGFLOWS_DATA_DIR, HOST, PORT, RIGFLOWS_DEBUG and RIGFLOWS_FRAME_ANCESTORS."""
    env = os.environ if environ is None else environ
    return Settings(
        data_dir=Path(env.get("RIGFLOWS_DATA_DIR") or PROJECT_ROOT / "data"),
        host=env.get("HOST", "127.0.0.1"),
        port=int(env.get("PORT", "8050")),
        debug=_flag(env.get("RIGFLOWS_DEBUG")),
        frame_ancestors=env.get("RIGFLOWS_FRAME_ANCESTORS", "'self'"),
    )
