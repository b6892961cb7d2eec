"""Chapter 44, Lab 3: supervised fine-tuning (SFT) of the pretrained tiny GPT on question answering, four ways:
loss on the response only (prompt masked) or on every token, one learning rate or discriminative ones, and
gradual unfreezing — two seeds each. The notebook re-runs one variant live; the recipe here must stay the
notebook's (data, steps, batch order, optimizer, evaluation).

    python tools/sweeps/ch44_sft.py          # writes data/ch44_sft.json (a few minutes on one CPU core)
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import torch

from course.pretrained import load_tiny_gpt, validation_loss
from course.text import pad_batch, qa_examples
from course.train import discriminative_param_groups, layer_groups, sft_targets, unfreeze_top

OUT = Path(__file__).resolve().parents[2] / "data" / "ch44_sft.json"
STEPS, BATCH, LR, DECAY, UNFREEZE_EVERY = 60, 32, 1e-3, 2.6, 10
SEEDS = (0, 1)
VARIANTS = {  # name: (mask_prompt, lr decay per layer group, gradual unfreezing)
    "response only": (True, 1.0, False),
    "every token": (False, 1.0, False),
    "response only + discriminative lr": (True, DECAY, False),
    "response only + gradual unfreezing": (True, 1.0, True),
}


def qa_batch(tok, n: int, seed: int):
    """prompt = context + question, response = answer + <eos>. Returns ids (N, T), prompt_lengths, lengths."""
    rows, prompts, lengths = [], [], []
    for ex in qa_examples(n, seed):
        prompt, response = tok.encode(f"{ex.context} {ex.question}"), tok.encode(ex.answer) + [tok.eos_id]
        rows.append(prompt + response)
        prompts.append(len(prompt))
        lengths.append(len(prompt) + len(response))
    ids, _ = pad_batch(rows, tok.pad_id)
    return ids, torch.tensor(prompts), torch.tensor(lengths)


@torch.inference_mode()
def answer_scores(model, data) -> tuple[float, float]:
    """(exact match: every response token right, teacher-forced; accuracy over response tokens)."""
    inputs, targets = sft_targets(*data)
    predicted = model(inputs).logits.argmax(-1)
    scored = targets != -100
    hit = predicted == targets
    return (hit | ~scored).all(1).float().mean().item(), hit[scored].float().mean().item()


def sft(gpt0, train, mask_prompt: bool, decay: float, gradual: bool, seed: int):
    torch.manual_seed(seed)
    model = copy.deepcopy(gpt0).train()
    groups = layer_groups(model)
    opt = torch.optim.AdamW(discriminative_param_groups(groups, LR, decay), weight_decay=0.0)
    order = torch.Generator().manual_seed(seed)
    for step in range(STEPS):
        if gradual:                       # the top group first, one more group every UNFREEZE_EVERY steps
            unfreeze_top(groups, min(len(groups), 1 + step // UNFREEZE_EVERY))
        pick = torch.randint(len(train[0]), (BATCH,), generator=order)
        inputs, targets = sft_targets(train[0][pick], train[1][pick], train[2][pick], mask_prompt=mask_prompt)
        loss = model(inputs, targets=targets).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


def main() -> None:
    gpt0, tok = load_tiny_gpt()
    train, test = qa_batch(tok, 2000, seed=1), qa_batch(tok, 300, seed=2)
    results = {"before": {"exact_match": answer_scores(gpt0, test)[0], "lm_loss": validation_loss(gpt0, tok, "gpt")}}
    for name, (mask_prompt, decay, gradual) in VARIANTS.items():
        runs = []
        for seed in SEEDS:
            model = sft(gpt0, train, mask_prompt, decay, gradual, seed)
            em, token_acc = answer_scores(model, test)
            runs.append({"seed": seed, "exact_match": round(em, 4), "answer_token_acc": round(token_acc, 4),
                         "lm_loss": round(validation_loss(model, tok, "gpt"), 4)})
            print(name, runs[-1], flush=True)
        results[name] = runs
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch44_sft.py",
        "recipe": f"shipped tiny GPT; train qa_batch(2000, seed=1), test qa_batch(300, seed=2); torch AdamW "
                  f"lr {LR} (top group; lower groups / decay^k) wd 0, {STEPS} steps of batch {BATCH} drawn with a "
                  f"generator of seed `seed`; gradual unfreezing adds a group every {UNFREEZE_EVERY} steps",
        "torch": torch.__version__, "seeds": list(SEEDS), "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
