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
    _wait_for_cells(page)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    _wait_until_run(page, timeout_s)


def close_and_reopen(page, timeout_s: float = 60) -> None:
    """File → Close and Shut Down Notebook (its kernel ends), then open the same notebook again in this tab:
    the learner's next visit, with nothing carried over but what is on disk."""
    address = page.url.split("?")[0]        # /lab/tree/<notebook>; the login cookie is kept
    page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
    page.locator(".lm-Menu-item[data-command='filemenu:close-and-cleanup']").click()
    dialog = page.locator(".jp-Dialog button.jp-mod-accept")
    dialog.wait_for(timeout=timeout_s * 1000)
    dialog.click()
    wait_for(lambda: page.locator(".jp-NotebookPanel").count() == 0, timeout_s, "the notebook to close")
    page.goto(address)
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=timeout_s * 1000)
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=timeout_s * 1000)
    _wait_for_cells(page, timeout_s)


def _wait_for_cells(page, timeout_s: float = 60) -> None:
    """The notebook's cells are on the page (the panel shows before its content has loaded)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline and not page.locator(".jp-CodeCell .jp-InputPrompt").count():
        time.sleep(0.2)
    if not page.locator(".jp-CodeCell .jp-InputPrompt").count():
        screenshot(page, "no_cells")
        raise AssertionError(f"no code cells after {timeout_s} s; dialogs: {_dialogs(page)}")


def _dialogs(page) -> list[str]:
    return page.locator(".jp-Dialog").all_inner_texts()


def _wait_until_run(page, timeout_s: float) -> None:
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
    raise AssertionError(f"cells still running after {timeout_s} s; prompts: {prompts}; dialogs: {_dialogs(page)}")


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
