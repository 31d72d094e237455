/**
 * A BERT-family GGUF embedding model in-process (node-llama-cpp's embedding context), pooled as the GGUF says
 * (mean for all-MiniLM-L6-v2) and L2-normalised, as sentence-transformers' Normalize step does. One input is
 * evaluated at a time on one context; callers queue (bounded) for it.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Llama, LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import { GatewayError, UpstreamError } from "../../errors.js";
import type { EmbeddingInputs } from "../../embeddings/types.js";
import { SlotPool } from "./slots.js";
import { ModelLoad, PooledModel, untilLoaded } from "./loading.js";

export interface EmbedderOptions {
  model_path: string;
  /** Tokens an input is cut to, [CLS] and [SEP] included. */
  max_tokens: number;
  threads: number;
  queue_size: number;
  queue_timeout_ms: number;
}

export class LocalEmbedder extends PooledModel<LlamaEmbeddingContext> {
  private llama?: Llama;
  private model?: LlamaModel;
  private vocabSize = 0;
  protected readonly load: ModelLoad;

  constructor(
    private readonly id: string,
    private readonly options: EmbedderOptions,
  ) {
    super();
    this.load = new ModelLoad(id, "embedding model", options.model_path, () => this.start());
  }

  private async start(): Promise<void> {
    const { model_path, threads } = this.options;
    if (!existsSync(model_path)) {
      throw Object.assign(new Error(`model file ${model_path} not found: run scripts/fetch-model.py (part of scripts/setup.sh)`), { code: "ENOENT" });
    }
    const started = performance.now();
    const { getLlama } = await import("node-llama-cpp");
    this.llama = await getLlama({ build: "never", gpu: false, logLevel: "error" as never });
    this.model = await this.llama.loadModel({ modelPath: model_path });
    this.vocabSize = this.model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    // The model's whole context (node-llama-cpp keeps a little of a context for itself); inputs are cut to max_tokens.
    const context = await this.model.createEmbeddingContext({
      contextSize: this.model.trainContextSize,
      threads: threads || Math.max(1, availableParallelism() - 1),
    });
    this.slots = new SlotPool([context], this.options.queue_size, this.options.queue_timeout_ms);
    console.log(
      `[interference] provider ${this.id}: loaded ${model_path} in ${Math.round(performance.now() - started)} ms (${this.model.embeddingVectorSize} dimensions)`,
    );
  }

  /** The input's tokens, without [CLS] and [SEP] (the context adds them), cut to the window. */
  private tokens(input: string | number[]): Token[] {
    const room = Math.min(this.model!.trainContextSize - 8, this.options.max_tokens - 2);
    if (typeof input === "string") return this.model!.tokenize(input).slice(0, room);
    const bad = input.find((t) => t >= this.vocabSize);
    if (bad !== undefined) {
      throw new GatewayError(400, "invalid_request_error", "invalid_token", `Token id ${bad} is outside this model's vocabulary (0–${this.vocabSize - 1}).`, {
        param: "input",
      });
    }
    return input.slice(0, room) as Token[];
  }

  /** One L2-normalised vector per input, in order, and the tokens evaluated ([CLS] and [SEP] included). */
  async embed(inputs: EmbeddingInputs, signal: AbortSignal): Promise<{ vectors: number[][]; promptTokens: number }> {
    if (!this.slots) {
      if (!this.loading) throw new UpstreamError(`local embedding model unavailable: ${this.publicError}`, "connection");
      await untilLoaded(this.load.done, this.options.queue_timeout_ms, signal, "embedding model");
      if (!this.slots) throw new UpstreamError(`local embedding model unavailable: ${this.publicError}`, "connection");
    }
    const batches = inputs.values.map((input) => this.tokens(input));
    const context = await this.slots.acquire(signal);
    try {
      const vectors: number[][] = [];
      let promptTokens = 0;
      for (const tokens of batches) {
        if (signal.aborted) throw new UpstreamError("request aborted by the client", "aborted");
        const { vector } = await context.getEmbeddingFor(tokens);
        let norm = 0;
        for (const x of vector) norm += x * x;
        norm = Math.sqrt(norm) || 1;
        vectors.push(Array.from(vector, (x) => x / norm));
        promptTokens += tokens.length + 2;
      }
      return { vectors, promptTokens };
    } catch (err) {
      if (err instanceof UpstreamError || err instanceof GatewayError) throw err;
      throw new UpstreamError(`local embedding failed: ${(err as Error).message}`, "protocol");
    } finally {
      this.slots.release(context);
    }
  }

  async close(): Promise<void> {
    await this.load.done;
    if (this.slots) {
      const context = await this.slots.acquire(AbortSignal.timeout(10_000)).catch(() => null);
      await context?.dispose();
    }
    await this.model?.dispose();
    await this.llama?.dispose();
  }
}
