"""Neural-network parts: attention, positions, norms and Transformer blocks."""
from .attention import (attention_from_scores, causal_mask, padding_mask,
                        scaled_dot_product_attention, sliding_window_mask)
from .blocks import ACTIVATIONS, FeedForward, TransformerBlock
from .efficient import linear_attention, online_softmax_attention, tiled_attention
from .multihead import AdditiveAttention, KVCache, MultiHeadAttention, record_attention
from .norms import LayerNorm, RMSNorm, SequenceBatchNorm, make_norm, to_batch_norm
from .positions import LearnedPositions, RotaryEmbedding, SinusoidalPositions, sinusoidal_table
from .lora import LoRALinear, add_lora, merge_lora
from .moe import MoEFeedForward, MoEOutput, load_balancing_loss

__all__ = [name for name in dir() if not name.startswith("_")]
