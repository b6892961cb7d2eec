import pickle

import pytest
import torch

from course.checkpoints import load_model, save_model
from course.models import GPT, Bert, BertConfig, GPTConfig


@pytest.mark.parametrize("model", [GPT(GPTConfig.preset("tiny")), GPT(GPTConfig.preset("tiny", tie_weights=False)),
                                   Bert(BertConfig())], ids=["gpt-tied", "gpt-untied", "bert"])
def test_round_trip_gives_identical_outputs(tmp_path, model):
    model.eval()
    path = save_model(model, tmp_path / "m")
    loaded = load_model(path).eval()
    ids = torch.randint(0, 64, (2, 10))
    torch.testing.assert_close(loaded(ids).logits, model(ids).logits)
    if isinstance(loaded, GPT) and loaded.config.tie_weights:
        assert loaded.head.weight is loaded.tok_emb.weight


def test_pickles_are_refused(tmp_path):
    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps({"not": "weights"}))
    with pytest.raises(ValueError, match="pickled checkpoints can run code"):
        load_model(evil)
