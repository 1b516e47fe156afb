"""What nginx serves without asking the app: `assets/` and Dash's component bundles, each with
gzip and brotli copies made at start, and the security headers the app sends.

`python -m deploy.static OUT [--brotli-quality Q]` builds the app once (as a gunicorn worker
does), copies every file it would serve under `/assets/` and `/_dash-component-suites/` into
OUT (bundle names without Dash's fingerprint: nginx strips it, as Dash does), and writes the
app's security headers to OUT/security-headers.json. OUT must be outside the tracked tree.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli

#: Text formats worth compressing (images and fonts are compressed already).
COMPRESSIBLE = {".js", ".css", ".json", ".map", ".svg", ".txt", ".html", ".xml", ".ico"}
#: Smaller files cost more in headers than compression saves.
MIN_COMPRESS_BYTES = 256
#: The response headers nginx repeats on what it serves itself (names as the app sends them).
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
    "X-Frame-Options",
    "Strict-Transport-Security",
)
HEADERS_FILE = "security-headers.json"


def served_files(app) -> dict[str, Path]:
    """{URL path without fingerprint: file} for every asset and component bundle the app serves."""
    files: dict[str, Path] = {}
    assets = Path(app.config.assets_folder)
    for path in sorted(assets.rglob("*")):
        relative = path.relative_to(assets)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[f"/assets/{relative.as_posix()}"] = path
    # Rendering the page registers every bundle it links and every chunk those load lazily:
    # Dash serves exactly these (anything else is a 404), from the package's own directory.
    with app.server.test_request_context("/"):
        app.index()
    for package, paths in app.registered_paths.items():
        root = Path(sys.modules[package].__file__).parent
        for relative in sorted(paths):
            if (root / relative).is_file():
                files[f"/_dash-component-suites/{package}/{relative}"] = root / relative
    return files


def security_headers(app) -> dict[str, str]:
    """The app's security headers on its page, as served over TLS (HSTS included)."""
    response = app.server.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    return {name: response.headers[name] for name in SECURITY_HEADERS if name in response.headers}


def precompress(path: Path, brotli_quality: int | None) -> None:
    """Write path.gz (and path.br) next to `path` when compressing saves something."""
    if path.suffix not in COMPRESSIBLE or path.stat().st_size < MIN_COMPRESS_BYTES:
        return
    data = path.read_bytes()
    variants = {".gz": lambda: gzip.compress(data, compresslevel=9, mtime=0)}
    if brotli_quality is not None:
        variants[".br"] = lambda: brotli.compress(data, quality=brotli_quality)
    for suffix, compress in variants.items():
        packed = compress()
        if len(packed) < len(data):
            variant = path.with_name(path.name + suffix)
            variant.write_bytes(packed)
            shutil.copystat(path, variant)


def prepare(app, out: Path, brotli_quality: int | None) -> int:
    """Copy and compress the served files into `out`; returns how many files were copied."""
    files = served_files(app)
    for url, source in files.items():
        target = out / url.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)  # keeps the mtime: the same ETag on every machine and restart
    # zlib and brotli release the GIL: the big bundles compress in parallel.
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda url: precompress(out / url.lstrip("/"), brotli_quality), files))
    (out / HEADERS_FILE).write_text(json.dumps(security_headers(app), indent=1))
    return len(files)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.static", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--brotli-quality", type=int, default=None, help="0-11; no .br files without it")
    args = parser.parse_args(argv)
    from app import app  # noqa: PLC0415 (builds the app: loads and validates the data)

    count = prepare(app, args.out, args.brotli_quality)
    print(f"deploy.static: {count} files ready in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
