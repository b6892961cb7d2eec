"""Helpers of the browser tests: run a notebook, collect errors, take screenshots."""
from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("COURSE_SCREENSHOTS", ROOT / ".browser-test" / "screenshots"))


def run_all(page, timeout_s: float = 180) -> None:
    """Run → Run All Cells, then wait until the kernel has run every code cell and is idle again.

    The stored notebooks already show execution numbers, so we wait for the kernel to turn busy first,
    then for no cell to be queued ("[*]") and the kernel to be idle.
    """
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    deadline = time.time() + timeout_s
    while time.time() < deadline and not page.get_by_text("| Busy").count():
        time.sleep(0.1)
    prompts: list[str] = []
    while time.time() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        running = [p for p in prompts if "*" in p or not any(ch.isdigit() for ch in p)]
        if prompts and not running and page.get_by_text("| Idle").count():
            return
        time.sleep(0.5)
    screenshot(page, "timeout")
    raise AssertionError(f"cells still running after {timeout_s} s; prompts: {prompts}")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def error_outputs(page) -> list[str]:
    """Tracebacks, and stderr that reports an error (JavaScript output failures land there too)."""
    errors = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").all_inner_texts()
    stderr = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    return errors + [t for t in stderr if "Error" in t or "Traceback" in t]


def wait_for(predicate, timeout_s=30, message="condition"):
    """Poll ``predicate`` until it is true; fail saying what did not happen."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {message}")
