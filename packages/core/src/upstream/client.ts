/**
 * HTTP to providers over undici (keep-alive pools, far cheaper per request than global fetch), with the three
 * timeouts a gateway needs (connect, first byte, idle gap) and every failure mapped to an UpstreamError.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from "undici";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { UpstreamError } from "../errors.js";
import type { Timeouts } from "../config/schema.js";
import { deadlineMessage } from "../routing/deadline.js";

export const DEFAULT_TIMEOUTS: Required<Timeouts> = {
  connect_ms: 10_000,
  first_byte_ms: 60_000,
  idle_ms: 60_000,
  total_ms: 600_000,
};

export interface UpstreamRequest {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal: AbortSignal;
  timeouts: Timeouts;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
}

/** One connection pool per provider, so connect timeouts and limits are per provider. */
export class UpstreamClient {
  private readonly agent: Agent;

  constructor(connectTimeoutMs = DEFAULT_TIMEOUTS.connect_ms) {
    this.agent = new Agent({
      connect: { timeout: connectTimeoutMs },
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      pipelining: 1,
    });
  }

  /** Sends a request; a non-2xx answer becomes an UpstreamError carrying the provider's own message. */
  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const t = { ...DEFAULT_TIMEOUTS, ...req.timeouts };
    let res: Dispatcher.ResponseData;
    try {
      res = await request(req.url, {
        method: req.method ?? "POST",
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        dispatcher: this.agent,
        headersTimeout: t.first_byte_ms,
        bodyTimeout: t.idle_ms,
      });
    } catch (err) {
      throw mapTransportError(err, req.signal, t);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = await readText(res.body, req.signal, t).catch(() => "");
      throw new UpstreamError(
        `HTTP ${res.statusCode}${describeErrorBody(text)}`,
        "http",
        res.statusCode,
        parseRetryAfter(res.headers["retry-after"]) ?? retryDelayInBody(text),
      );
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  async json<T = unknown>(req: UpstreamRequest): Promise<T> {
    const res = await this.send(req);
    const text = await readText(res.body, req.signal, { ...DEFAULT_TIMEOUTS, ...req.timeouts });
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UpstreamError(`response is not JSON: ${truncate(text, 120)}`, "protocol");
    }
  }

  /** Reads the whole body as bytes (images). */
  async bytes(req: UpstreamRequest): Promise<{ data: Buffer; contentType: string }> {
    const res = await this.send(req);
    const chunks: Buffer[] = [];
    try {
      for await (const c of res.body) chunks.push(c as Buffer);
    } catch (err) {
      throw mapTransportError(err, req.signal, { ...DEFAULT_TIMEOUTS, ...req.timeouts });
    }
    const ct = res.headers["content-type"];
    return { data: Buffer.concat(chunks), contentType: (Array.isArray(ct) ? ct[0] : ct) ?? "application/octet-stream" };
  }

  /** Opens an SSE response and yields its events as they arrive. */
  async *events(req: UpstreamRequest): AsyncGenerator<EventSourceMessage> {
    const res = await this.send(req);
    yield* parseSse(res.body, req.signal, { ...DEFAULT_TIMEOUTS, ...req.timeouts });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Parses a byte stream of Server-Sent Events (eventsource-parser does the framing). */
export async function* parseSse(
  body: AsyncIterable<Buffer | Uint8Array | string>,
  signal: AbortSignal,
  timeouts: Required<Timeouts>,
): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => queue.push(e) });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      parser.feed(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
      while (queue.length) yield queue.shift()!;
    }
  } catch (err) {
    throw mapTransportError(err, signal, timeouts);
  }
  parser.feed(decoder.decode() + "\n\n");
  while (queue.length) yield queue.shift()!;
}

/** The whole body as text: undici's own reader, cheaper than async iteration over the stream. */
async function readText(body: UpstreamResponse["body"], signal: AbortSignal, timeouts: Required<Timeouts>): Promise<string> {
  try {
    return await body.text();
  } catch (err) {
    throw mapTransportError(err, signal, timeouts);
  }
}

export function mapTransportError(err: unknown, signal: AbortSignal, t: Required<Timeouts>): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (signal.aborted) {
    const deadline = deadlineMessage(signal);
    return deadline ? new UpstreamError(deadline, "timeout") : new UpstreamError("request aborted by the client", "aborted");
  }
  if (err instanceof undiciErrors.ConnectTimeoutError) return new UpstreamError(`connect timed out after ${t.connect_ms} ms`, "timeout");
  if (err instanceof undiciErrors.HeadersTimeoutError) return new UpstreamError(`no response within ${t.first_byte_ms} ms`, "timeout");
  if (err instanceof undiciErrors.BodyTimeoutError) return new UpstreamError(`stream idle for over ${t.idle_ms} ms`, "timeout");
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === "ECONNREFUSED") return new UpstreamError("connection refused", "connection");
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return new UpstreamError("connection reset", "connection");
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new UpstreamError("host not found", "connection");
  return new UpstreamError(`connection failed: ${truncate(e.message ?? String(err), 160)}`, "connection");
}

/** Retry-After in seconds or as an HTTP date, to milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Google APIs put the wait in the body (RetryInfo.retryDelay, e.g. "34.4s") rather than a Retry-After header. */
export function retryDelayInBody(text: string): number | undefined {
  const m = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(text);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/** The provider's own error message, briefly: `: <message>`. */
function describeErrorBody(text: string): string {
  if (!text) return "";
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const msg = typeof j.error === "string" ? j.error : (j.error?.message ?? j.message);
    if (msg) return `: ${truncate(msg, 300)}`;
  } catch {
    /* not JSON: fall through */
  }
  return `: ${truncate(text.trim(), 200)}`;
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
