"""Build the course notebooks from their sources and execute them so that outputs are stored.

Sources live in ``notebooks/src/NN_slug.py`` in the percent format that jupytext also reads:
``# %% [markdown]`` starts a Markdown cell (each line prefixed with ``# ``), ``# %%`` a code cell.

    python tools/build_notebooks.py            # build and execute every notebook
    python tools/build_notebooks.py 04 07      # only these chapters
    python tools/build_notebooks.py --check    # fail if a notebook's cells differ from its source

What the builder adds on the way:

* a code cell whose first line is ``# NBVAL_CHECK_OUTPUT`` loses that line and gets nbval's cell tag
  ``nbval-check-output`` instead (``--nbval-lax`` compares the stored output of tagged cells);
* after the "## Try first" cell comes a Markdown cell for the learner's own answer;
* a chapter ends with a Markdown cell of links to its previous, next and related chapters, written from
  the registry (``course.navigation.chapter_links``), so sources do not repeat them;
* the widgets' state is stored in the notebook's metadata (nbclient records it while executing), so
  that a reopened notebook shows its quiz forms and explorers before it is run again. JupyterLab
  renders stored widgets only in a *trusted* notebook: ``make lab`` runs ``jupyter trust`` first.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SRC = ROOT / "notebooks" / "src"
OUT = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"      # what authors write as a code cell's first line
CHECK_TAG = "nbval-check-output"           # the cell tag nbval reads instead (nbval/plugin.py)
TRY_FIRST = "## Try first"
ANSWER_CELL = "*Your answer* (double-click here to write it; Shift+Enter shows it):"


class SourceError(ValueError):
    """A source file the builder cannot turn into a notebook; the message names the file and cell."""


def _code_cell(body: str, where: str) -> nbformat.NotebookNode:
    """A code cell; a first-line check marker becomes nbval's cell tag."""
    lines = body.splitlines()
    tags = []
    if lines and lines[0].strip() == CHECK_MARKER:
        tags.append(CHECK_TAG)
        body = "\n".join(lines[1:]).strip("\n")
    if any(line.strip() == CHECK_MARKER for line in body.splitlines()):
        raise SourceError(f"{where}: {CHECK_MARKER} must be the first line of its cell")
    cell = nbformat.v4.new_code_cell(body)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def parse(text: str, name: str = "<source>") -> list:
    """Percent-format text -> nbformat cells (``name`` is the file, for error messages)."""
    cells, kind, lines, start = [], None, [], 0

    def flush():
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#") for l in body.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(body))
            if body.lstrip().startswith(TRY_FIRST):
                cells.append(nbformat.v4.new_markdown_cell(ANSWER_CELL))
        elif kind == "code" and body.strip():
            cells.append(_code_cell(body, f"{name}, cell at line {start}"))

    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("# %%"):
            flush()
            kind, lines, start = ("markdown" if "[markdown]" in line else "code"), [], number
        else:
            lines.append(line)
    flush()
    return cells


def build(source: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = parse(source.read_text(encoding="utf-8"), source.name)
    number = int(source.stem[:2]) if source.stem[:2].isdigit() else 0
    if 1 <= number <= 50:
        from course.navigation import chapter_links

        nb.cells.append(nbformat.v4.new_markdown_cell(chapter_links(number)))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{source.stem[:2]}-{i:02d}"     # stable ids: clean diffs between builds
    return nb


def kernel_env(home: Path) -> dict:
    """The kernel's environment: a fresh home, so that the stored notebooks show a new learner's view
    (an empty progress file at ``~/.llm-interview-lab``, not the author's record or a temporary path).
    Matplotlib keeps the author's font cache, so that finding the fonts is not redone on every build."""
    import matplotlib

    fonts = os.environ.get("MPLCONFIGDIR", matplotlib.get_cachedir())
    env = {**os.environ, "HOME": str(home), "MPLCONFIGDIR": fonts}
    env.pop("COURSE_PROGRESS", None)            # the default place under the fresh home
    return env


def execute(nb: nbformat.NotebookNode) -> float:
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="course-build-home-") as home:
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(OUT)}}).execute(env=kernel_env(Path(home)))
        return time.perf_counter() - start


def _is_progress_bar(output) -> bool:
    text = output.get("text") or output.get("data", {}).get("text/plain", "")
    return "it/s]" in text or "s/it]" in text


def drop_progress_bars(nb: nbformat.NotebookNode) -> None:
    """Progress bars are for the person waiting; a stored snapshot of one is noise."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not _is_progress_bar(o)]


def _shape(cell) -> tuple:
    """What a build decides about a cell: its kind, its text and its tags (not outputs)."""
    return cell.cell_type, cell.source, tuple(cell.metadata.get("tags", ()))


def out_of_sync() -> list[str]:
    """Notebooks whose cell sources differ from their ``src`` file (or that have no notebook)."""
    problems = []
    for source in sorted(SRC.glob("*.py")):
        target = OUT / f"{source.stem}.ipynb"
        if not target.exists():
            problems.append(f"{target.name} is missing; run python tools/build_notebooks.py")
            continue
        stored = [_shape(c) for c in nbformat.read(target, as_version=4).cells]
        if stored != [_shape(c) for c in build(source).cells]:
            problems.append(f"{target.name} differs from src/{source.name}; rebuild it")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="two-digit chapter numbers (default: all)")
    parser.add_argument("--check", action="store_true", help="only check that notebooks match sources")
    parser.add_argument("--no-execute", action="store_true", help="write notebooks without outputs")
    args = parser.parse_args(argv)
    if args.check:
        problems = out_of_sync()
        print("\n".join(problems) or "all notebooks match their sources")
        return 1 if problems else 0
    sources = [s for s in sorted(SRC.glob("*.py")) if not args.chapters or s.stem[:2] in args.chapters]
    for source in sources:
        nb = build(source)
        seconds = 0.0 if args.no_execute else execute(nb)
        drop_progress_bars(nb)
        nbformat.write(nb, OUT / f"{source.stem}.ipynb")
        print(f"{source.stem}: {len(nb.cells)} cells, executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
