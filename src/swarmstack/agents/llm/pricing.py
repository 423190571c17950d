"""Cost of LLM calls: a default price table per model, overridable per agent (`price:`).

Prices are US dollars per million tokens, list prices of the providers' public pages when this
table was written; check your provider's bill. Model names match by the longest known prefix,
so dated snapshots (`gpt-4o-mini-2024-07-18`) use their family's price. Unknown models (local
vLLM or Ollama models, say) cost 0 unless the agent sets `price:`. Pure.
"""

from __future__ import annotations

import math

from swarmstack.spec.agents import ModelPrice

# model prefix: (USD per million prompt tokens, USD per million completion tokens)
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "mistral-small": (0.20, 0.60),
    "mistral-large": (2.00, 6.00),
}
CHARS_PER_TOKEN = 4


def price_of(model: str, override: ModelPrice | None = None) -> tuple[float, float]:
    """(prompt, completion) USD per million tokens for `model`."""
    if override is not None:
        return override.prompt_per_mtok, override.completion_per_mtok
    known = [prefix for prefix in DEFAULT_PRICES if model.startswith(prefix)]
    return DEFAULT_PRICES[max(known, key=len)] if known else (0.0, 0.0)


def cost_usd(
    model: str, prompt_tokens: int, completion_tokens: int, override: ModelPrice | None = None
) -> float:
    """What a call with these token counts costs."""
    prompt_price, completion_price = price_of(model, override)
    return (prompt_tokens * prompt_price + completion_tokens * completion_price) / 1_000_000


def estimate_tokens(text: str) -> int:
    """Tokens in `text` when the server reports none: about four characters per token.

    English averages 3.5-4.5 characters per token with OpenAI tokenizers; this is an estimate
    for budgets and cost, not a tokenizer (nothing is downloaded).
    """
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0
