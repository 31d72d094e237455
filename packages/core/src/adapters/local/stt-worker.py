#!/usr/bin/env python3
"""The embedded speech-to-text model: Whisper (CTranslate2 format) run by faster-whisper, in a process of its own
that the gateway's `local` provider starts and talks to over stdin/stdout, one JSON object a line.

  stt-worker.py MODEL_DIR THREADS

Prints {"ready": true, ...} once the model is loaded, then for each request
  {"id": 1, "path": "/tmp/…", "task": "transcribe"|"translate", "language": null, "prompt": null,
   "temperature": 0, "words": false}
answers {"id": 1, "text": …, "language": …, "duration": …, "segments": [...], "words": [...]} or {"id": 1, "error": …}.
Requests are served one at a time, in order; the gateway queues them.
"""
import json
import sys


def main() -> None:
    model_dir, threads = sys.argv[1], int(sys.argv[2])
    try:
        from faster_whisper import WhisperModel

        model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
    except Exception as err:  # the gateway reports it; the message stays in the server log
        print(json.dumps({"ready": False, "error": f"{type(err).__name__}: {err}"}), flush=True)
        return
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            segments, info = model.transcribe(
                req["path"],
                task=req.get("task") or "transcribe",
                language=req.get("language") or None,
                initial_prompt=req.get("prompt") or None,
                temperature=req.get("temperature") or 0.0,
                word_timestamps=bool(req.get("words")),
                beam_size=1,
            )
            out_segments, words = [], []
            for s in segments:
                out_segments.append(
                    {
                        "id": s.id,
                        "seek": s.seek,
                        "start": round(s.start, 3),
                        "end": round(s.end, 3),
                        "text": s.text,
                        "tokens": list(s.tokens),
                        "temperature": s.temperature,
                        "avg_logprob": s.avg_logprob,
                        "compression_ratio": s.compression_ratio,
                        "no_speech_prob": s.no_speech_prob,
                    }
                )
                for w in s.words or []:
                    words.append({"word": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3)})
            answer = {
                "id": req["id"],
                "text": "".join(s["text"] for s in out_segments).strip(),
                "language": info.language,
                "duration": round(info.duration, 3),
                "segments": out_segments,
                "words": words,
            }
        except Exception as err:
            answer = {"id": req["id"], "error": f"{type(err).__name__}: {err}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
