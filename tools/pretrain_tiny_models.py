"""Pretrain the course's tiny GPT and BERT on the course corpus and write them to data/pretrained/.

    python tools/pretrain_tiny_models.py            # both (a few minutes on a 2-core CPU)
    python tools/pretrain_tiny_models.py gpt        # one of them

Deterministic for the recipe's seed on one machine; the log beside each checkpoint records the recipe,
the time it took, the first losses and the final validation loss that tests/test_pretrained.py checks.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course.pretrained import RECIPES, pretrain, save  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kinds", nargs="*", help="gpt, bert (default: both)")
    args = parser.parse_args(argv)
    unknown = set(args.kinds) - set(RECIPES)
    if unknown:
        parser.error(f"unknown model kind(s) {sorted(unknown)}; choose from {sorted(RECIPES)}")
    for kind in args.kinds or sorted(RECIPES):
        model, _, log = pretrain(kind)
        path = save(kind, model, log)
        print(f"{path.name}: {log['steps']} steps in {log['seconds']:.0f} s, "
              f"validation loss {log['val_loss']:.4f}, size {path.stat().st_size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
