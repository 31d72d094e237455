/**
 * The embedded speech-to-text model: Whisper base (CTranslate2 format, from PyPI) run by faster-whisper in a
 * worker process (stt-worker.py), since no Node binding runs that format. One request at a time goes to the
 * worker; others queue, bounded, as for the chat model. Its answers become OpenAI's transcript formats here.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { UpstreamError } from "../../errors.js";
import type { AudioUpload } from "../../audio/types.js";
import type { TranscriptionResult } from "../types.js";
import { SlotPool } from "./slots.js";
import { ModelLoad, PooledModel, untilLoaded } from "./loading.js";

export interface TranscriberOptions {
  /** The model folder (model.bin, config.json, tokenizer.json, vocabulary.txt). */
  model_path: string;
  /** Where faster-whisper is installed (PYTHONPATH for the worker), when not in the system's Python. */
  python_path?: string;
  python: string;
  threads: number;
  queue_size: number;
  queue_timeout_ms: number;
}

/** What the worker answers for one file. */
export interface WorkerTranscript {
  text: string;
  language: string;
  duration: number;
  segments: Array<{ id: number; start: number; end: number; text: string } & Record<string, unknown>>;
  words: Array<{ word: string; start: number; end: number }>;
}

/** The worker script beside this module (src/ in tests, dist/ once built). The URL's path, read lazily: a bundler's
 * module realm may hand fileURLToPath a URL of another realm. */
const workerScript = () => decodeURIComponent(new URL("./stt-worker.py", import.meta.url).pathname);

const LANGUAGES: Record<string, string> = {
  en: "english",
  de: "german",
  fr: "french",
  es: "spanish",
  it: "italian",
  nl: "dutch",
  pt: "portuguese",
  ja: "japanese",
  zh: "chinese",
};

/** "00:00:01,500" (SRT) or "00:00:01.500" (VTT). */
function timestamp(seconds: number, separator: "," | "."): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

/** The transcript in the format the client asked for, as OpenAI writes each. */
export function formatTranscript(
  t: WorkerTranscript,
  format: string,
  task: "transcriptions" | "translations",
  granularities: string[],
): Omit<TranscriptionResult, "model"> {
  const seconds = t.duration;
  switch (format) {
    case "text":
      return { body: `${t.text}\n`, contentType: "text/plain; charset=utf-8", seconds };
    case "srt":
      return {
        body: t.segments.map((s, i) => `${i + 1}\n${timestamp(s.start, ",")} --> ${timestamp(s.end, ",")}\n${s.text.trim()}\n`).join("\n"),
        contentType: "text/plain; charset=utf-8",
        seconds,
      };
    case "vtt":
      return {
        body: `WEBVTT\n\n${t.segments.map((s) => `${timestamp(s.start, ".")} --> ${timestamp(s.end, ".")}\n${s.text.trim()}\n`).join("\n")}`,
        contentType: "text/plain; charset=utf-8",
        seconds,
      };
    case "verbose_json": {
      const body = {
        task: task === "translations" ? "translate" : "transcribe",
        language: LANGUAGES[t.language] ?? t.language,
        duration: t.duration,
        text: t.text,
        ...(granularities.includes("word") ? { words: t.words } : {}),
        ...(granularities.length === 0 || granularities.includes("segment") ? { segments: t.segments } : {}),
        usage: { type: "duration", seconds: Math.ceil(t.duration) },
      };
      return { body: JSON.stringify(body), contentType: "application/json", seconds };
    }
    default:
      return { body: JSON.stringify({ text: t.text, usage: { type: "duration", seconds: Math.ceil(t.duration) } }), contentType: "application/json", seconds };
  }
}

export class LocalTranscriber extends PooledModel<ChildProcessWithoutNullStreams> {
  private worker?: ChildProcessWithoutNullStreams;
  protected readonly load: ModelLoad;
  private readonly pending = new Map<number, { resolve: (t: WorkerTranscript) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(
    private readonly id: string,
    private readonly options: TranscriberOptions,
  ) {
    super();
    this.load = new ModelLoad(id, "speech model", options.model_path, () => this.start());
  }

  private start(): Promise<void> {
    const { model_path, python, python_path, threads } = this.options;
    if (!existsSync(join(model_path, "model.bin"))) {
      return Promise.reject(
        Object.assign(new Error(`no model.bin in ${model_path}: run scripts/fetch-model.py (part of scripts/setup.sh)`), { code: "ENOENT" }),
      );
    }
    const started = performance.now();
    const env = { ...process.env, ...(python_path ? { PYTHONPATH: python_path } : {}), PYTHONUNBUFFERED: "1", HF_HUB_OFFLINE: "1" };
    const worker = spawn(python, [workerScript(), model_path, String(threads)], { env, stdio: ["pipe", "pipe", "pipe"] });
    this.worker = worker;
    worker.stderr.on("data", (d: Buffer) => console.warn(`[interference] provider ${this.id}: speech worker: ${d.toString().trim().slice(0, 500)}`));
    return new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: worker.stdout });
      lines.on("line", (line) => {
        let msg: { ready?: boolean; error?: string; id?: number } & Partial<WorkerTranscript>;
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return;
        }
        if (msg.id === undefined) {
          if (msg.ready) {
            this.slots = new SlotPool([worker], this.options.queue_size, this.options.queue_timeout_ms);
            console.log(`[interference] provider ${this.id}: loaded ${model_path} in ${Math.round(performance.now() - started)} ms (speech to text)`);
            resolve();
          } else reject(new Error(msg.error ?? "the speech worker could not load the model"));
          return;
        }
        const waiter = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) waiter?.reject(new UpstreamError(`local transcription failed: ${msg.error}`, "protocol"));
        else waiter?.resolve(msg as WorkerTranscript);
      });
      worker.on("error", (err) => reject(err));
      worker.on("exit", (code) => {
        const err = new UpstreamError(`the speech worker stopped (exit ${code})`, "connection");
        for (const w of this.pending.values()) w.reject(err);
        this.pending.clear();
        if (!this.slots) reject(err);
        this.slots = undefined;
        this.load.error ??= err;
      });
    });
  }

  async transcribe(upload: AudioUpload, task: "transcriptions" | "translations", signal: AbortSignal): Promise<WorkerTranscript> {
    if (!this.slots && this.loading) await untilLoaded(this.load.done, this.options.queue_timeout_ms, signal, "speech model");
    if (!this.slots) throw new UpstreamError(`local speech model unavailable: ${this.publicError}`, "connection");
    const worker = await this.slots.acquire(signal);
    const dir = await mkdtemp(join(tmpdir(), "ifr-stt-"));
    try {
      const path = join(dir, "audio");
      await writeFile(path, new Uint8Array(await upload.file.arrayBuffer()));
      const field = (name: string) => (typeof upload.fields[name] === "string" ? (upload.fields[name] as string) : undefined);
      const granularities = ([] as string[]).concat(upload.fields["timestamp_granularities[]"] ?? []);
      const id = this.nextId++;
      const answer = new Promise<WorkerTranscript>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      worker.stdin.write(
        `${JSON.stringify({
          id,
          path,
          task: task === "translations" ? "translate" : "transcribe",
          language: field("language") ?? null,
          prompt: field("prompt") ?? null,
          temperature: Number(field("temperature") ?? 0),
          words: granularities.includes("word"),
        })}\n`,
      );
      // A client that leaves stops waiting; the worker finishes the file (it cannot be interrupted) and the next waits.
      return await new Promise<WorkerTranscript>((resolve, reject) => {
        const onAbort = () => reject(new UpstreamError("request aborted by the client", "aborted"));
        signal.addEventListener("abort", onAbort, { once: true });
        answer.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });
    } finally {
      this.slots?.release(worker);
      await rm(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.load.done;
    this.worker?.stdin.end();
    this.worker?.kill();
  }
}
