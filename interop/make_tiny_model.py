"""Write a tiny random-weight Qwen2 GGUF from llama.cpp's bundled Qwen2 vocabulary (no download).

Usage: python make_tiny_model.py LLAMA_CPP_DIR OUT.gguf  (needs numpy; gguf-py comes from the tree)
The weights are noise: the model answers gibberish, which is all a protocol test needs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

N_EMBD, N_FF, N_LAYER, N_HEAD, N_HEAD_KV, N_CTX = 64, 128, 2, 4, 2, 2048


def main(llama_dir: Path, out: Path) -> None:
    sys.path.insert(0, str(llama_dir / "gguf-py"))
    import gguf

    vocab = gguf.GGUFReader(str(llama_dir / "models" / "ggml-vocab-qwen2.gguf"))
    writer = gguf.GGUFWriter(str(out), "qwen2")
    writer.add_name("msgconform-tiny-qwen2")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_freq_base(1000000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    copy_tokenizer(vocab, writer, gguf)
    n_vocab = len(vocab.fields["tokenizer.ggml.tokens"].data)
    for name, shape in tensor_shapes(n_vocab):
        rng = np.random.default_rng(abs(hash(name)) % 2**32)
        dtype = np.float32 if name.endswith(("norm.weight", ".bias")) else np.float16
        data = (rng.standard_normal(shape) * 0.02).astype(dtype)
        if name.endswith("norm.weight"):
            data = np.ones(shape, dtype=np.float32)
        writer.add_tensor(name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def copy_tokenizer(vocab: object, writer: object, gguf: object) -> None:
    fields = vocab.fields  # type: ignore[attr-defined]
    for key, field in fields.items():
        if not key.startswith("tokenizer."):
            continue
        value = field.contents()
        kind = field.types[0]
        if kind == gguf.GGUFValueType.ARRAY:  # type: ignore[attr-defined]
            writer.add_array(key, value)  # type: ignore[attr-defined]
        elif kind == gguf.GGUFValueType.STRING:  # type: ignore[attr-defined]
            writer.add_string(key, value)  # type: ignore[attr-defined]
        else:
            writer.add_key_value(key, value, kind)  # type: ignore[attr-defined]


def tensor_shapes(n_vocab: int) -> list[tuple[str, tuple[int, ...]]]:
    head = N_EMBD // N_HEAD
    shapes: list[tuple[str, tuple[int, ...]]] = [
        ("token_embd.weight", (n_vocab, N_EMBD)),
        ("output_norm.weight", (N_EMBD,)),
    ]
    for i in range(N_LAYER):
        b = f"blk.{i}"
        shapes += [
            (f"{b}.attn_norm.weight", (N_EMBD,)),
            (f"{b}.attn_q.weight", (N_EMBD, N_EMBD)),
            (f"{b}.attn_q.bias", (N_EMBD,)),
            (f"{b}.attn_k.weight", (N_HEAD_KV * head, N_EMBD)),
            (f"{b}.attn_k.bias", (N_HEAD_KV * head,)),
            (f"{b}.attn_v.weight", (N_HEAD_KV * head, N_EMBD)),
            (f"{b}.attn_v.bias", (N_HEAD_KV * head,)),
            (f"{b}.attn_output.weight", (N_EMBD, N_EMBD)),
            (f"{b}.ffn_norm.weight", (N_EMBD,)),
            (f"{b}.ffn_gate.weight", (N_FF, N_EMBD)),
            (f"{b}.ffn_up.weight", (N_FF, N_EMBD)),
            (f"{b}.ffn_down.weight", (N_EMBD, N_FF)),
        ]
    return shapes


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
