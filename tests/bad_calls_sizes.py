"""Wrong calls of course.models.sizes (chapters 3 and 15), each answered by an error that names the argument."""
import course.models.sizes
from course.models import GPT, GPTConfig
from course.nn import MultiHeadAttention
from course.models.sizes import DataSource, PublishedSize, attended_pairs, matmul_flops, param_breakdown, published_size

_tiny = GPTConfig(vocab_size=10, context=8, n_layers=1, n_heads=2, d_model=8)

BAD_CALLS = [
    (PublishedSize, "d_head must be >= 1", lambda: PublishedSize("x", 1e6, 2, 64, 4, 0, 128)),
    (PublishedSize, "n_params must be a positive number", lambda: PublishedSize("x", "125M", 2, 64, 4, 16, 128)),
    (PublishedSize, "batch_tokens must be a positive number or None",
     lambda: PublishedSize("x", 1e6, 2, 64, 4, 16, 128, batch_tokens=0)),
    (PublishedSize, "lr must be a positive number or None", lambda: PublishedSize("x", 1e6, 2, 64, 4, 16, 128, lr="6e-4")),
    (GPT, "layers (each index) must be <= 0", lambda: GPT(_tiny).set_window([1], 4)),
    (GPT, "window must be >= 1", lambda: GPT(_tiny).set_window([0], 0)),
    (DataSource, "weight must be a positive number", lambda: DataSource("web", 19e9, -0.2, 2.9)),
    (published_size, "name must be one of", lambda: published_size("GPT-3 1.3B")),
    (param_breakdown, "config must be a GPTConfig", lambda: param_breakdown({"d_model": 8})),
    (matmul_flops, "config must be a GPTConfig", lambda: matmul_flops("gpt2", 1, 8)),
    (matmul_flops, "seq_len must be <= 8", lambda: matmul_flops(_tiny, 1, 9)),
    (matmul_flops, "batch must be >= 1", lambda: matmul_flops(_tiny, 0, 4)),
    (attended_pairs, "window must be >= 1", lambda: attended_pairs(10, 0)),
    (attended_pairs, "t must be >= 1", lambda: attended_pairs(0)),
    (GPTConfig, "head_dim must be >= 1", lambda: GPTConfig(n_heads=4, d_model=128, head_dim=0)),
    (GPTConfig, "or give head_dim explicitly", lambda: GPTConfig(n_heads=3, d_model=128)),
    (MultiHeadAttention, "head_dim must be >= 1", lambda: MultiHeadAttention(8, 2, head_dim=0)),
]

PUBLIC_MODULES = [course.models.sizes]
