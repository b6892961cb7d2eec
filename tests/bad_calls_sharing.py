"""Bad-input rows for course.models.sharing (collected by tests/test_bad_input.py)."""
import torch

import course.models.sharing
from course.models import GPT, GPTConfig
from course.models.sharing import (FactorizedEmbedding, FactorizedTiedHead, count_albert, factorize_embeddings,
                                   low_rank, share_layers)

PUBLIC_MODULES = [course.models.sharing]


def _gpt(**kw):
    return GPT(GPTConfig(vocab_size=20, context=8, n_layers=2, n_heads=2, d_model=16, **kw))


BAD_CALLS = [
    (low_rank, "weight must have 2 dimensions", lambda: low_rank(torch.ones(3, 4, 5), 2)),
    (low_rank, "rank must be", lambda: low_rank(torch.ones(3, 4), 4)),
    (share_layers, "model must be a course GPT", lambda: share_layers(torch.nn.Linear(2, 2))),
    (factorize_embeddings, "rank must be", lambda: factorize_embeddings(_gpt(), 0)),
    (factorize_embeddings, "tie_weights=True", lambda: factorize_embeddings(_gpt(tie_weights=False), 4)),
    (factorize_embeddings, "from_trained must be", lambda: factorize_embeddings(_gpt(), 4, from_trained="yes")),
    (count_albert, "hidden must be", lambda: count_albert(0, 12, 3072)),
    (count_albert, "layers must be", lambda: count_albert(768, 1.5, 3072)),
    (count_albert, "shared must be", lambda: count_albert(768, 12, 3072, shared="yes")),
]

NOTHING_TO_VALIDATE = {
    FactorizedEmbedding: "built by factorize_embeddings, which validates the sizes",
    FactorizedTiedHead: "built by factorize_embeddings from its own FactorizedEmbedding",
}
