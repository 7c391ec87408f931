"""Fetch the front-end libraries from the npm registry, check their integrity, serve them locally.

Third-party code is never committed. Each package is pinned to an exact version and to the registry's
sha512 integrity hash; `npm pack` downloads the tarball, this script checks the hash itself, and copies
the one file we serve into static/vendor/ (git-ignored). Run by `make install`.
"""

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
# Test tools, never served: axe-core (injected by the browser tests) and the W3C Nu HTML checker.
TEST_VENDOR = ROOT / "tests" / "vendor"

# package, exact version, sha512 integrity (from `npm view PACKAGE@VERSION dist.integrity`), file → served as
ASSETS = [
    (
        "htmx.org",
        "2.0.11",
        "sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        {"package/dist/htmx.min.js": "htmx.min.js"},
    ),
    (
        "axe-core",
        "4.14.1",
        "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        {"package/axe.min.js": "axe.min.js"},
        TEST_VENDOR,
    ),
    (
        "vnu-jar",
        "26.9.27",
        "sha512-TkQd5DFfOaWC9ebtvozTsrH2Vaod3jYg+vrOeREzIXxBexLz9+rS2DNtjn7+RPUiZhgli0SghgBX6RJRNea0KA==",
        {"package/build/dist/vnu.jar": "vnu.jar"},
        TEST_VENDOR,
    ),
]


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch(name: str, version: str, expected: str, files: dict[str, str], dest: Path = VENDOR) -> None:
    stamp = dest / f".{name}@{version}"
    if stamp.exists() and all((dest / target).exists() for target in files.values()):
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--pack-destination", tmp, "--silent"],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        tarball = Path(tmp) / out
        actual = integrity(tarball)
        if actual != expected:
            sys.exit(f"{name}@{version}: integrity mismatch\n  expected {expected}\n  got      {actual}")
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for member, target in files.items():
                source = archive.extractfile(member)
                with open(dest / target, "wb") as handle:
                    shutil.copyfileobj(source, handle)
    for old in dest.glob(f".{name}@*"):
        old.unlink()
    stamp.write_text(expected + "\n")
    print(f"fetched {name}@{version} (integrity checked)")


def wanted(runtime_only: bool) -> list[tuple]:
    """`--runtime`: only what the app serves (make run); without it, the test tools too (make test)."""
    return [asset for asset in ASSETS if not (runtime_only and len(asset) > 4 and asset[4] == TEST_VENDOR)]


if __name__ == "__main__":
    for asset in wanted("--runtime" in sys.argv[1:]):
        fetch(*asset)
