"""The two commands stand on their own: `make run` sets up only what serving needs and runs the worker
beside the server; the README and docs/ never point outside the repository."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fetch_assets():
    spec = importlib.util.spec_from_file_location("fetch_assets", ROOT / "scripts" / "fetch_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_serving_fetches_only_what_the_app_serves():
    assets = fetch_assets()
    assert [a[0] for a in assets.wanted(runtime_only=True)] == ["htmx.org"]
    assert [a[0] for a in assets.wanted(runtime_only=False)] == ["htmx.org", "axe-core", "vnu-jar"]


def make_target(name: str) -> str:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{name}:.*?(?=^\S|\Z)", makefile, re.S | re.M)
    assert match, name
    return match.group(0)


def test_make_run_installs_the_runtime_and_runs_the_worker_beside_the_server():
    install = make_target("install")
    assert "$(STAMP)" in install and "$(DEV_STAMP)" not in install
    assert "pip install --quiet -e .\n" in make_target(r"\$\(STAMP\)")
    run = make_target("run")
    assert "$(FLASK) worker &" in run  # the relay and the sweep, in the background, stopped with the server
    assert run.index("worker &") < run.index("run --host")
    assert "$(DEV_STAMP)" in make_target("test")


def test_the_readme_and_docs_stand_on_their_own():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        assert "../shared" not in text and "SPEC.md" not in text, path.name
