"""Print a notebook's text outputs and save its images, to review what a learner will see.

    python tools/dump_outputs.py notebooks/04_how_attention_works.ipynb /tmp/review
"""
import base64
import sys
from pathlib import Path

import nbformat


def main(path: str, image_dir: str) -> None:
    nb = nbformat.read(path, as_version=4)
    out = Path(image_dir)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if "image/png" in data:
                n += 1
                target = out / f"{Path(path).stem[:2]}_{i:02d}_{n}.png"
                target.write_bytes(base64.b64decode(data["image/png"]))
                print(f"[{i}] image -> {target}")
            elif o.output_type == "error":
                print(f"[{i}] ERROR {o.ename}: {o.evalue}")
            else:
                text = o.get("text") or data.get("text/plain", "")
                print(f"[{i}] {o.output_type}: {str(text)[:400]}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
