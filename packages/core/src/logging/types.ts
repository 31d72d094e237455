/** One row per /v1 request: what the dashboard shows and the database stores. */
import type { Attempt, RoutingDecision } from "../routing/router.js";

export interface RequestLogEntry {
  id: string;
  time: Date;
  apiKeyId: string | null;
  /** The key's team when the request was made (a key moved later leaves its past spend with the team it was in). */
  teamId: string | null;
  method: string;
  /** The path as requested. */
  route: string;
  /**
   * The route as registered (`/v1/responses/:id`, `/api/:provider/chat/completions`): what metrics label by, so
   * ids and names in paths cannot grow their label sets without bound. Not stored.
   */
  routePattern?: string;
  /** The client's W3C trace context headers, for the request's trace span. Not stored. */
  traceHeaders?: Record<string, string | undefined>;
  /** The model the client asked for (null when it named none). */
  model: string | null;
  /** The `provider` field as sent (null when absent). */
  requestedProviders: string | null;
  /** Every provider considered, in order: skipped, failed, served. */
  attempts: Attempt[];
  /** How the router ordered the candidates: strategy, the scores it used, the client's policy. */
  routing: RoutingDecision | null;
  /** The provider that served it, if one did. */
  provider: string | null;
  /** The upstream model actually used. */
  servedModel: string | null;
  status: number;
  stream: boolean;
  latencyMs: number;
  /** Streams: time until the first content chunk reached the client. */
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  /** USD, from the usage and the served model's price (spend/price.ts); null when either is unknown. */
  cost: number | null;
  /** The cost is an estimate: the stream was cut before the provider reported usage. */
  costEstimated: boolean;
  /** Audio routes: seconds of audio transcribed, where the provider said. */
  audioSeconds: number | null;
  /** Audio routes: bytes of audio uploaded or generated (never the audio itself). */
  audioBytes: number | null;
  error: string | null;
  /** The end user the service named (`user`, `safety_identifier`, Anthropic's `metadata.user_id`); null: none. */
  endUser?: string | null;
  /** The service's labels: `x-interference-tags` and OpenAI's `metadata` pairs ("key:value"); null: none. */
  tags?: string[] | null;
  /** The response cache: `hit`, `semantic-hit`, `miss`, or `skip` (not looked up: `Cache-Control: no-cache`; its answer stored); null when not used. */
  cache?: "hit" | "semantic-hit" | "miss" | "skip" | null;
  /** A hit's source entry, as an admin finds it in the cache. */
  cacheEntryId?: string | null;
  /** What a hit saved: the cost of the answer it replayed (USD). */
  cacheSaved?: number | null;
}

/** Where log rows go. `write` must not block the request: sinks batch and flush on their own. */
export interface RequestLogSink {
  write(entry: RequestLogEntry): void;
  flush?(): Promise<void>;
  /**
   * When every entry written so far would survive the process being killed (a sink that keeps a write-ahead file
   * and writes it once per turn of the event loop); null or undefined when they already would, or never will.
   * The transports wait for it before they end an answer, so no answer goes out ahead of its log row.
   */
  durable?(): Promise<void> | null | undefined;
}
