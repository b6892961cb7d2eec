"""The course's one glossary of terms, Chinese ↔ English, shown in 00_start_here."""
from __future__ import annotations

__all__ = ["GLOSSARY", "glossary_markdown"]

# (English, 中文, one-line meaning)
GLOSSARY: tuple[tuple[str, str, str], ...] = (
    ("token", "词元", "the unit a tokenizer cuts text into; the model sees integer token ids"),
    ("embedding", "嵌入 / 词向量", "a learned vector per token id, the first layer of the model"),
    ("language model", "语言模型", "a model of the probability of the next token given the previous ones"),
    ("pretraining", "预训练", "self-supervised training on raw text (next-token or masked-token prediction)"),
    ("fine-tuning", "微调", "further training of a pretrained model on a task's (labelled) data"),
    ("self-supervised learning", "自监督学习", "the labels come from the data itself, e.g. the next token"),
    ("attention", "注意力", "a weighted average of values, weights = softmax of query–key scores"),
    ("self-attention", "自注意力", "attention whose queries, keys and values come from the same sequence"),
    ("cross-attention", "交叉注意力", "decoder queries attending to the encoder's outputs"),
    ("multi-head attention", "多头注意力", "h attentions in d/h-dimensional feature subspaces, concatenated"),
    ("query / key / value", "查询 / 键 / 值", "three learned projections: who looks, what is matched, what is read"),
    ("causal mask", "因果掩码", "hides future positions so that a decoder cannot see what it predicts"),
    ("padding mask", "填充掩码", "hides padding positions in a batch of different lengths"),
    ("positional encoding", "位置编码", "position information added to embeddings or to q and k (RoPE)"),
    ("context window", "上下文窗口", "the most tokens a model attends over in one forward pass"),
    ("KV cache", "键值缓存", "stored keys and values of earlier tokens, reused at each decoding step"),
    ("encoder / decoder", "编码器 / 解码器", "bidirectional stack / causal stack (with cross-attention in seq2seq)"),
    ("masked language model", "掩码语言模型", "BERT's objective: predict 15 % hidden tokens (80/10/10 rule)"),
    ("cross-entropy", "交叉熵", "−log of the probability given to the right token, averaged"),
    ("perplexity", "困惑度", "exp(cross-entropy): the effective number of equally likely choices"),
    ("gradient clipping", "梯度裁剪", "bounding the gradient (by value, global norm or adaptively) before the step"),
    ("vanishing / exploding gradient", "梯度消失 / 梯度爆炸", "gradients shrinking or growing geometrically with depth or time"),
    ("optimizer", "优化器", "the update rule: SGD, momentum, Adam, AdamW, …"),
    ("weight decay", "权重衰减", "shrinking weights each step; decoupled from the gradient in AdamW"),
    ("learning-rate schedule", "学习率调度", "how the learning rate changes: warmup, cosine decay, …"),
    ("layer normalization", "层归一化", "normalizing each token's features; RMSNorm drops the centring"),
    ("batch normalization", "批归一化", "normalizing each feature over the batch; rarely used in LMs"),
    ("dropout", "随机失活", "zeroing random activations during training"),
    ("residual connection", "残差连接", "adding a sub-layer's input to its output: x + f(x)"),
    ("feed-forward network", "前馈网络", "the per-position two-layer MLP of a Transformer block"),
    ("teacher forcing", "教师强制", "training a decoder on the true previous tokens, shifted right"),
    ("greedy / beam search", "贪心搜索 / 束搜索", "pick the best token / keep the k best partial sequences"),
    ("top-k / top-p sampling", "Top-k / Top-p 采样", "sample only among the k best tokens / the smallest set with mass p"),
    ("temperature", "温度", "divides the logits: < 1 sharpens, > 1 flattens the distribution"),
    ("grouped-query attention", "分组查询注意力", "query heads share fewer key/value heads: a smaller KV cache"),
)


def glossary_markdown() -> str:
    rows = ["| English | 中文 | meaning |", "|---|---|---|"]
    rows += [f"| {en} | {zh} | {meaning} |" for en, zh, meaning in GLOSSARY]
    return "\n".join(rows)
