"""The shared overfitting setting: validation loss turns up while training loss keeps falling."""
import torch

from course.pretrained import VAL_SEED, corpus_lines
from course.train import AdamW
from course.train.overfitting import overfit_setting


def test_validation_turns_up_while_training_keeps_falling():
    setting = overfit_setting(60)
    model = setting.model()
    history = setting.train(model, AdamW(model.parameters(), lr=3e-3, weight_decay=0.0), steps=150,
                            eval_every=10, progress=False)
    best = min(range(len(history.eval_loss)), key=history.eval_loss.__getitem__)
    assert history.eval_step[best] <= 80                                   # the best point comes early
    assert history.eval_loss[-1] > history.eval_loss[best] + 0.5           # then validation climbs
    assert history.final_loss < history.eval_loss[best] - 1.0              # while training keeps falling


def test_runs_are_comparable_same_init_same_batches():
    setting = overfit_setting(60)
    a, b = setting.model(), setting.model(dropout=0.2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    first, second = setting.batches(), setting.batches()
    assert all(torch.equal(x, y) for x, y in zip(first(0), second(0)))


def test_validation_lines_are_not_training_lines():
    assert set(corpus_lines(60, seed=0)) & set(corpus_lines(400, seed=VAL_SEED))   # the corpus does repeat
    setting = overfit_setting(60)
    eos = int(setting.train_tokens[-1])
    def lines(tokens):
        return {tuple(line) for line in _split(tokens.tolist(), eos)}
    assert not lines(setting.train_tokens) & lines(setting.val_tokens)


def _split(ids, sep):
    line = []
    for i in ids:
        if i == sep:
            yield line
            line = []
        else:
            line.append(i)
