/**
 * One GGUF model loaded in-process with node-llama-cpp: one context with `parallel` sequences, a bounded queue in
 * front of them, and generation that stops the moment its request is aborted.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { UpstreamError } from "../../errors.js";
import type { LocalOptions } from "./options.js";
import { SlotPool } from "./slots.js";
import { untilLoaded } from "./loading.js";

export interface GenerateOptions {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  frequencyPenalty?: number;
  presencePenalty?: number;
  signal: AbortSignal;
  /** Called with each piece of text as it is generated (streaming). */
  onText?: (text: string) => void;
}

export interface GenerateResult {
  text: string;
  finish: "stop" | "length";
  promptTokens: number;
  completionTokens: number;
}

export class LocalEngine {
  private llama?: Llama;
  private model?: LlamaModel;
  private context?: LlamaContext;
  private slots?: SlotPool<LlamaContextSequence>;

  /** Requests waiting for a free sequence (the queue's depth, for /metrics). */
  get queued(): number {
    return this.slots?.waiting ?? 0;
  }
  private chatWrapper?: ChatWrapper;
  private LlamaChat?: typeof import("node-llama-cpp").LlamaChat;
  private loadError: Error | null = null;
  readonly loaded: Promise<void>;

  constructor(
    private readonly id: string,
    private readonly options: LocalOptions & { model_path: string },
  ) {
    this.loaded = this.load().catch((err: Error) => {
      this.loadError = err;
      console.error(`[interference] provider ${id}: ${err.message}`);
    });
  }

  get ready(): boolean {
    return this.slots !== undefined;
  }

  get error(): Error | null {
    return this.loadError;
  }

  /**
   * Why the model is not serving, in words safe for API clients: the loader's own message (which can quote the
   * file's first bytes) stays in the server log.
   */
  get publicError(): string | null {
    if (!this.loadError) return null;
    return (this.loadError as { code?: string }).code === "ENOENT"
      ? `model file ${basename(this.options.model_path)} not found (run scripts/fetch-model.py, part of scripts/setup.sh)`
      : "the model failed to load (the server log says why)";
  }

  private async load(): Promise<void> {
    const { model_path, context_size, threads, parallel, queue_size, queue_timeout_ms } = this.options;
    if (!existsSync(model_path)) {
      throw Object.assign(new Error(`model file ${model_path} not found: run scripts/fetch-model.py (part of scripts/setup.sh) to fetch it`), {
        code: "ENOENT",
      });
    }
    const started = performance.now();
    // Loaded lazily so the rest of the gateway never pays for the native addon unless a local provider exists.
    const { getLlama, resolveChatWrapper, LlamaChat } = await import("node-llama-cpp");
    this.LlamaChat = LlamaChat;
    // build: "never": use the prebuilt binary from npm; never fall back to compiling llama.cpp from sources.
    this.llama = await getLlama({ build: "never", gpu: false, logLevel: "error" as never });
    this.model = await this.llama.loadModel({ modelPath: model_path });
    // Measured on 2 cores: llama.cpp's default thread count made SmolLM2 take 38 s for 11 tokens; 1 thread, 0.15 s.
    const threadCount = threads || Math.max(1, availableParallelism() - 1);
    this.context = await this.model.createContext({ contextSize: context_size, sequences: parallel, threads: threadCount });
    // The chat template comes from the GGUF; resolving it parses the Jinja template (~200 ms here), so it is done
    // once, not per request.
    this.chatWrapper = resolveChatWrapper(this.model);
    const sequences = Array.from({ length: parallel }, () => this.context!.getSequence());
    this.slots = new SlotPool(sequences, queue_size, queue_timeout_ms);
    console.log(
      `[interference] provider ${this.id}: loaded ${model_path} in ${Math.round(performance.now() - started)} ms ` +
        `(context ${context_size}, ${parallel} parallel, queue ${queue_size}, ${threadCount} threads)`,
    );
  }

  /** The tokens `history` renders to with the model's chat template: exactly what generate() counts as prompt. */
  countTokens(history: ChatHistoryItem[]): number {
    if (!this.model || !this.chatWrapper) throw new UpstreamError("the local model is still loading", "connection");
    return this.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(this.model.tokenizer).length;
  }

  /** Counts the tokens of the rendered prompt with the model's own tokenizer and chat template. */
  private promptTokens(
    chat: { chatWrapper: { generateContextState(o: { chatHistory: ChatHistoryItem[] }): { contextText: { tokenize(t: unknown): unknown[] } } } },
    history: ChatHistoryItem[],
  ): number {
    return chat.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(this.model!.tokenizer).length;
  }

  async generate(history: ChatHistoryItem[], o: GenerateOptions): Promise<GenerateResult> {
    // Still loading: wait for it, as long as a request may wait for a slot.
    if (!this.slots && !this.loadError) await untilLoaded(this.loaded, this.options.queue_timeout_ms, o.signal, "model");
    if (!this.slots) throw new UpstreamError(`local model unavailable: ${this.publicError}`, "connection");
    const sequence = await this.slots.acquire(o.signal);
    const chat = new this.LlamaChat!({ contextSequence: sequence, chatWrapper: this.chatWrapper, autoDisposeSequence: false });
    try {
      // A fresh sequence state per request: the same request and seed give the same answer, streamed or not.
      await sequence.clearHistory();
      let completionTokens = 0;
      const res = await chat.generateResponse(history, {
        maxTokens: o.maxTokens,
        temperature: o.temperature,
        topP: o.topP,
        topK: o.topK,
        seed: o.seed,
        customStopTriggers: o.stop?.length ? o.stop : undefined,
        repeatPenalty:
          o.frequencyPenalty || o.presencePenalty
            ? { frequencyPenalty: o.frequencyPenalty ?? undefined, presencePenalty: o.presencePenalty ?? undefined }
            : undefined,
        signal: o.signal,
        stopOnAbortSignal: false,
        onToken: (tokens) => (completionTokens += tokens.length),
        onTextChunk: o.onText,
      });
      return {
        text: res.response,
        finish: res.metadata.stopReason === "maxTokens" ? "length" : "stop",
        promptTokens: this.promptTokens(chat as never, history),
        completionTokens,
      };
    } catch (err) {
      if (o.signal.aborted) throw new UpstreamError("request aborted by the client", "aborted");
      throw new UpstreamError(`local generation failed: ${(err as Error).message}`, "protocol");
    } finally {
      chat.dispose({ disposeSequence: false });
      this.slots.release(sequence);
    }
  }

  async close(): Promise<void> {
    await this.loaded;
    await this.context?.dispose();
    await this.model?.dispose();
    await this.llama?.dispose();
  }
}
