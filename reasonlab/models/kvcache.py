"""A key/value cache with room to grow, for the local decode loop.

Hugging Face's ``DynamicCache`` appends each step's keys and values with ``torch.cat``, which
copies the whole cache of every layer on every step — on a small model that copy costs about as
much as the attention itself. Here each layer owns buffers with spare capacity along the
sequence axis: a step writes one column in place and hands attention a view of the filled part.
Capacity doubles on the rare step that runs past it (budget forcing can add steps), and dropping
finished rows (``batch_select_indices``) copies the buffers once, as ``DynamicCache`` does.
"""

from __future__ import annotations

from typing import Any

# Imported by the local backend only when it decodes, so transformers still loads lazily.
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer


def preallocated_cache(config: Any, capacity: int) -> DynamicCache:
    """A ``DynamicCache`` whose layers write into preallocated buffers of ``capacity`` columns,
    or a plain ``DynamicCache`` when the model has layers of another kind (sliding windows,
    linear attention), which keep their own storage rules."""
    cache = DynamicCache(config=config)
    if cache.layers and all(type(layer) is DynamicLayer for layer in cache.layers):
        cache.layers = [PreallocatedLayer(capacity) for _ in cache.layers]
    return cache


class PreallocatedLayer(DynamicLayer):
    """One layer's keys and values: ``keys``/``values`` are views of the first ``length``
    columns of buffers shaped ``[batch, heads, capacity, head_dim]``."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = max(1, capacity)
        self.length = 0
        self._k = self._v = None

    def lazy_initialization(self, key_states, value_states) -> None:
        self.device = key_states.device
        cap = max(self.capacity, key_states.shape[-2])
        self._k = key_states.new_empty((*key_states.shape[:2], cap, key_states.shape[-1]))
        self._v = value_states.new_empty((*value_states.shape[:2], cap, value_states.shape[-1]))
        self.is_initialized = True

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if end > self._k.shape[-2]:
            self._grow(max(end, 2 * self._k.shape[-2]))
        self._k[:, :, self.length:end] = key_states
        self._v[:, :, self.length:end] = value_states
        self.length = end
        self._publish()
        return self.keys, self.values

    def _grow(self, capacity: int) -> None:
        k = self._k.new_empty((*self._k.shape[:2], capacity, self._k.shape[-1]))
        v = self._v.new_empty((*self._v.shape[:2], capacity, self._v.shape[-1]))
        k[:, :, :self.length] = self._k[:, :, :self.length]
        v[:, :, :self.length] = self._v[:, :, :self.length]
        self._k, self._v = k, v

    def _publish(self) -> None:
        self.keys = self._k[:, :, :self.length]
        self.values = self._v[:, :, :self.length]

    def get_seq_length(self) -> int:
        return self.length

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.length + query_length, 0

    def crop(self, tokens_to_remove: int) -> None:
        # Same convention as DynamicLayer.crop: a negative count of columns to drop.
        if tokens_to_remove > 0:
            raise ValueError(f"crop takes a negative count, got {tokens_to_remove}")
        if self.is_initialized and tokens_to_remove:
            self.length = max(0, self.length + tokens_to_remove)
            self._publish()

    def batch_select_indices(self, indices) -> None:
        if self.is_initialized:
            self._k = self._k.index_select(0, indices)
            self._v = self._v.index_select(0, indices)
            self._publish()

    def reorder_cache(self, beam_idx) -> None:
        self.batch_select_indices(beam_idx.to(self.device))

    def batch_repeat_interleave(self, repeats: int) -> None:
        if self.is_initialized:
            self._k = self._k.repeat_interleave(repeats, dim=0)
            self._v = self._v.repeat_interleave(repeats, dim=0)
            self._publish()

    def reset(self) -> None:
        self.length = 0
        self._k = self._v = self.keys = self.values = None
        self.is_initialized = False
