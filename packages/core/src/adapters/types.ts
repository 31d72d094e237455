/**
 * The one small interface every provider family implements. An adapter translates canonical requests
 * (canonical/types.ts) into its provider's wire format and the answers back into canonical results and stream
 * parts; where its provider speaks a public API itself, it also offers that API natively. Routing, failover,
 * logging and HTTP live elsewhere.
 */
import type { ProviderConfig, ProviderType, Timeouts } from "../config/schema.js";
import type { CanonicalRequest, CanonicalResult, StreamPart } from "../canonical/types.js";
import type { CanonicalParam } from "../canonical/params.js";
import type { ImageRequest, ImageResult } from "../images/types.js";
import type { EmbeddingBatch, EmbeddingResult } from "../embeddings/types.js";
import type { AudioUpload } from "../audio/types.js";
import type { UpstreamClientOptions } from "../upstream/client.js";
import type { EventSourceMessage } from "eventsource-parser";

export interface CallContext {
  /** Aborted when the client goes away or the request's deadline passes: stop work and release sockets. */
  signal: AbortSignal;
  /** The model id to send upstream (the configured alias target of the model the client asked for). */
  upstreamModel: string;
  /** Effective timeouts for this call (provider settings over global defaults). */
  timeouts: Timeouts;
}

/** Generating answers from canonical requests: what every API reaches a provider through when it is translated. */
export interface ChatCapability {
  /** The canonical request's settings this adapter honours; a request with another is refused (or dropped). */
  readonly params: ReadonlySet<CanonicalParam>;
  /**
   * Whether it continues a request's unfinished last assistant message (CanonicalRequest.prefill) instead of
   * starting a new turn: Anthropic, the embedded model, and OpenAI-compatible servers configured with `prefill`.
   */
  readonly prefill?: boolean;
  complete(req: CanonicalRequest, ctx: CallContext): Promise<CanonicalResult>;
  /**
   * Streams parts. A failure to start (connection, HTTP error) must surface as an UpstreamError from the first
   * `next()`, so the router can still fail over; later failures throw from later `next()` calls.
   */
  stream(req: CanonicalRequest, ctx: CallContext): AsyncIterable<StreamPart | StreamPart[]>;
  /** The request's prompt tokens, counted exactly with the model's own tokenizer, where the adapter has it. */
  countTokens?(req: CanonicalRequest, ctx: CallContext): Promise<number>;
}

export interface ImageCapability {
  readonly params: ReadonlySet<string>;
  generate(req: ImageRequest, ctx: CallContext): Promise<ImageResult>;
}

/** Turning text (or token ids) into vectors: OpenAI's embeddings API, Gemini's batchEmbedContents, a local model. */
export interface EmbeddingCapability {
  /** The request fields it honours besides the inputs ("dimensions", "user"). */
  readonly params: ReadonlySet<string>;
  /** Most inputs per call: larger requests are split into batches of this size and put back in order. */
  readonly maxBatch: number;
  /** Whether it takes token-id arrays as input (in its model's own vocabulary). */
  readonly tokenInput: boolean;
  embed(batch: EmbeddingBatch, ctx: CallContext): Promise<EmbeddingResult>;
  /** Readiness of this capability alone, where it differs from the adapter's (a second model file). */
  ready?(): boolean;
  notReadyReason?(): string | null;
  /** Still loading (not failed): requests wait for it rather than skip it. */
  loading?(): boolean;
}

/** What a transcription or translation answered: its body as the client gets it, and what to log and bill. */
export interface TranscriptionResult {
  body: string;
  contentType: string;
  /** Seconds of audio, where the provider says (verbose_json's duration, usage of type duration). */
  seconds?: number;
  /** Tokens, where the provider bills by token (gpt-4o-transcribe). */
  usage?: { inputTokens: number; outputTokens: number };
  model?: string;
}

/** Generated speech: its type and its bytes as they arrive. */
export interface SpeechResult {
  contentType: string;
  audio: AsyncIterable<Uint8Array>;
}

/** Speech to text and text to speech (OpenAI's audio API and those that copy it). */
export interface AudioCapability {
  /** The fields it takes besides the file and the model (both APIs). */
  readonly params: ReadonlySet<string>;
  transcribe(upload: AudioUpload, task: "transcriptions" | "translations", ctx: CallContext): Promise<TranscriptionResult>;
  /** Resolves once the provider has accepted the request (so a failure before the first byte can fail over). */
  speak(body: Record<string, unknown>, ctx: CallContext): Promise<SpeechResult>;
  /** Readiness of this capability alone, where it differs from the adapter's (a model of its own). */
  ready?(): boolean;
  notReadyReason?(): string | null;
  loading?(): boolean;
}

/**
 * A public API the provider speaks itself (OpenAI's Chat Completions and Responses, Anthropic's Messages): requests
 * in it go through untranslated, but for the model id and auth, so nothing the gateway does not model is lost.
 */
export interface NativeApi {
  /** POSTs `body` to `path` (under the provider's base URL) and returns the JSON answer. */
  send(path: string, body: NativeRequestBody, headers: Record<string, string>, ctx: CallContext): Promise<unknown>;
  /**
   * POSTs `body` and yields the SSE events as they come, those of one read from the provider together (never an
   * empty batch); a failure to start throws from the first `next()`.
   */
  stream(path: string, body: NativeRequestBody, headers: Record<string, string>, ctx: CallContext): AsyncIterable<EventSourceMessage[]>;
}

/**
 * A native request's body already encoded: the client's own bytes, where they say exactly what the provider is to
 * get (routes/native-bytes.ts). Encoding a 100 KB body again cost more than parsing it.
 */
export class EncodedJson {
  constructor(readonly bytes: Buffer) {}
}

/** A native request's body: JSON to encode, or bytes already encoded. */
export type NativeRequestBody = Record<string, unknown> | EncodedJson;

export type NativeApiName = "chat" | "messages" | "responses" | "completions";

export interface ProviderAdapter {
  readonly chat?: ChatCapability;
  readonly native?: Partial<Record<NativeApiName, NativeApi>>;
  readonly images?: ImageCapability;
  readonly embeddings?: EmbeddingCapability;
  readonly audio?: AudioCapability;
  /** Optional readiness (e.g. a local model still loading). */
  ready?(): boolean;
  /** Still loading (not failed): requests wait for it, bounded by its queue timeout, rather than skip it. */
  loading?(): boolean;
  /** Why it is not ready, when it knows (e.g. the model file is missing). */
  notReadyReason?(): string | null;
  /** Requests waiting for the provider's own capacity (an in-process model's queue), for /metrics. */
  queueDepth?(): number;
  /** Releases sockets, model memory, … when the provider is removed or the gateway stops. */
  close?(): Promise<void>;
}

/** What the gateway gives an adapter besides its config. */
export interface AdapterDeps {
  /**
   * Set for a provider whose URL did not come from the config file (saved from the dashboard): its HTTP client
   * must connect through the guard (public addresses only unless allow-listed, DNS pinned per connection).
   */
  guard?: UpstreamClientOptions["guard"];
}

export type AdapterFactory = ((config: ProviderConfig, deps?: AdapterDeps) => ProviderAdapter) & {
  /**
   * Throws, saying why, when `config` could not be built into an adapter, without building one (a local model
   * would start loading): what the dashboard checks before it stores a provider.
   */
  validate?: (config: ProviderConfig) => void;
};
export type AdapterFactories = Partial<Record<ProviderType, AdapterFactory>>;
