"""Fixtures of the browser tests: a throwaway JupyterLab server and a headless Chromium page.

Nothing here reaches the internet: every request that is not for the local server is aborted, except
bertviz's three CDN scripts, which are answered from local copies (``COURSE_BROWSER_JS``).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS = Path(os.environ.get("COURSE_BROWSER_JS", ROOT / ".browser-test" / "js" / "node_modules"))
CDN = {
    "require": JS / "requirejs" / "require.js",
    "d3": JS / "d3" / "dist" / "d3.min.js",
    "jquery": JS / "jquery" / "dist" / "jquery.min.js",
}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def lab():
    """A JupyterLab server on 127.0.0.1 over a copy of notebooks/, with temporary configuration."""
    tmp = Path(tempfile.mkdtemp(prefix="course-lab-"))
    work = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", work, ignore=shutil.ignore_patterns("src", ".ipynb_checkpoints"))
    settings = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    notebook_settings = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    # render every cell (no virtual scrolling), so that the test sees all prompts and outputs
    (notebook_settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    token = "course-browser-test"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_DATA_DIR": str(tmp / "data"), "COURSE_PROGRESS": str(tmp / "progress.json"),
           "COURSE_DEVICE": "cpu"}
    # as `make lab` does: trust the notebooks, or JupyterLab will not render their stored widgets
    subprocess.run([sys.executable, "-m", "nbformat.sign", *map(str, work.glob("*.ipynb"))],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", "--port=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         f"--LabApp.workspaces_dir={tmp / 'workspaces'}", f"--LabApp.user_settings_dir={tmp / 'settings'}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        info = None
        for _ in range(600):
            files = list((tmp / "runtime").glob(f"jpserver-{proc.pid}.json"))
            if files:
                info = json.loads(files[0].read_text())
                break
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {(tmp / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.1)
        assert info, "JupyterLab did not start in 60 s"
        yield {"url": info["url"].rstrip("/"), "token": token, "progress": tmp / "progress.json", "dir": work}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)          # the server and the kernels it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                     args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


def _route(page, lab_url: str, *, offline_cdn: bool) -> None:
    """Abort everything but the local server; answer bertviz's CDN requests from local files."""
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(lab_url)
               else route.abort())

    def serve(name):
        def handler(route):
            if offline_cdn or not CDN[name].exists():
                return route.abort()
            route.fulfill(path=str(CDN[name]), content_type="application/javascript")
        return handler

    # registered after the catch-all, so Playwright tries them first
    page.route("**/cdnjs.cloudflare.com/**/require.min.js", serve("require"))
    page.route("**/cdnjs.cloudflare.com/**/d3.min.js", serve("d3"))
    page.route("**/cdnjs.cloudflare.com/**/jquery.min.js", serve("jquery"))


@pytest.fixture
def open_notebook(lab, browser):
    """open_notebook(name, offline_cdn=False) -> a page with the notebook open and its kernel idle."""
    pages = []

    def _open(name: str, *, offline_cdn: bool = False):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        _route(page, lab["url"], offline_cdn=offline_cdn)
        page.goto(f"{lab['url']}/lab/tree/{name}?token={lab['token']}&reset")
        page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=60_000)
        pages.append(context)
        return page

    yield _open
    for context in pages:
        context.close()
