/**
 * HTTP to providers over undici (keep-alive pools, far cheaper per request than global fetch), with the three
 * timeouts a gateway needs (connect, first byte, idle gap) and every failure mapped to an UpstreamError.
 */
import { Agent, errors as undiciErrors, type Dispatcher } from "undici";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { UpstreamError } from "../errors.js";
import type { Timeouts } from "../config/schema.js";
import { deadlineMessage } from "../routing/deadline.js";
import { isIP, type LookupFunction } from "node:net";
import { Readable } from "node:stream";
import { guardedLookup, GuardedAddressError, type AddressResolver } from "../security/guarded-lookup.js";
import { isAllowListed, isSpecialAddress } from "../security/url-guard.js";
import { redact, secretsOf } from "./redact.js";

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

/** Read limits: every byte the gateway reads from an upstream is bounded. */
export const LIMITS = {
  /** An error answer: only its message is used. */
  errorBodyBytes: 8 * 1024,
  /** A JSON answer (inline base64 images make these large). */
  jsonBytes: 64 * 1024 * 1024,
  /** One Server-Sent Event, or a line of one. */
  sseEventBytes: 8 * 1024 * 1024,
};

export interface UpstreamClientOptions {
  connectTimeoutMs?: number;
  /**
   * For URLs the gateway did not get from its config file: only public addresses (resolved once and pinned for
   * the connection), unless the host is on the allow-list; redirects are refused.
   */
  guard?: { allowList: string[]; resolve?: AddressResolver };
}

/** Parsed upstream URLs: a provider's few URLs are parsed once, not per request (bounded: models name paths). */
const PARSED_URLS = new Map<string, { target: URL; origin: string; path: string }>();

function parsedUrl(url: string): { target: URL; origin: string; path: string } {
  let parsed = PARSED_URLS.get(url);
  if (!parsed) {
    const target = new URL(url);
    parsed = { target, origin: target.origin, path: `${target.pathname}${target.search}` };
    if (PARSED_URLS.size >= 1024) PARSED_URLS.clear();
    PARSED_URLS.set(url, parsed);
  }
  return parsed;
}

/** One connection pool per provider, so connect timeouts and limits are per provider. */
export class UpstreamClient {
  private readonly agent: Agent;
  /** With a guard: the pool for allow-listed hosts, which skip the address check. */
  private readonly trusted: Agent | null = null;
  private readonly allowList: string[];

  constructor(options: UpstreamClientOptions = {}) {
    const agentOptions = (lookup?: LookupFunction): Agent.Options => ({
      connect: { timeout: options.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connect_ms, ...(lookup ? { lookup } : {}) },
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      pipelining: 1,
    });
    this.allowList = options.guard?.allowList ?? [];
    if (options.guard) {
      this.agent = new Agent(agentOptions(guardedLookup(options.guard.resolve)));
      this.trusted = new Agent(agentOptions());
    } else this.agent = new Agent(agentOptions());
  }

  /**
   * The pool for `url`, and the origin and path undici wants; throws when a guarded client may not fetch it at
   * all. Undici's top-level `request(url)` parses the URL and copies the options on every call: going to the
   * pool with them parsed once cost 70-80 µs less CPU per request on the development machine (request() 200-210
   * µs, a pool's dispatch 118-131, `bench/upstream-client.mjs`).
   */
  private targetFor(url: string): { dispatcher: Agent; origin: string; path: string } {
    const { target, origin, path } = parsedUrl(url);
    if (target.protocol !== "http:" && target.protocol !== "https:") throw new UpstreamError(`refused to fetch a ${target.protocol} URL`, "protocol");
    if (!this.trusted) return { dispatcher: this.agent, origin, path };
    if (isAllowListed(target, this.allowList)) return { dispatcher: this.trusted, origin, path };
    // An address in the URL itself is connected to without any lookup: check it here.
    const host = target.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) && isSpecialAddress(host)) throw new UpstreamError(`refused to fetch ${target.host}: an internal address`, "protocol");
    return { dispatcher: this.agent, origin, path };
  }

  /** The error for an answer that is not a 2xx, from its first bytes: the provider's message, redacted. */
  private httpError(req: UpstreamRequest, status: number, headers: UpstreamResponse["headers"], text: string): UpstreamError {
    const { message, code } = describeErrorBody(text, secretsOf(req.headers, req.url));
    return new UpstreamError(`HTTP ${status}${message}`, "http", status, parseRetryAfter(headers["retry-after"]) ?? retryDelayInBody(text), code);
  }

  private redirectRefused(status: number): UpstreamError | null {
    return this.trusted && status >= 300 && status < 400
      ? new UpstreamError(`HTTP ${status}: redirects are not followed for this URL`, "protocol", status)
      : null;
  }

  /**
   * Sends a request; a non-2xx answer becomes an UpstreamError carrying the provider's own message (bounded, and
   * with any credential it echoes redacted).
   */
  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const t = { ...DEFAULT_TIMEOUTS, ...req.timeouts };
    let res: Dispatcher.ResponseData;
    try {
      const { dispatcher, origin, path } = this.targetFor(req.url);
      res = await dispatcher.request({
        origin,
        path,
        method: req.method ?? "POST",
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        headersTimeout: t.first_byte_ms,
        bodyTimeout: t.idle_ms,
      });
    } catch (err) {
      throw mapTransportError(err, req.signal, t);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const redirect = this.redirectRefused(res.statusCode);
      if (redirect) {
        discard(res.body);
        throw redirect;
      }
      const text = await readBounded(res, LIMITS.errorBodyBytes, req.signal, t, true).catch(() => "");
      throw this.httpError(req, res.statusCode, res.headers, text);
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** A JSON answer, parsed. */
  async json<T = unknown>(req: UpstreamRequest): Promise<T> {
    const text = await this.collect(req, LIMITS.jsonBytes);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UpstreamError(`response is not JSON: ${redact(text, secretsOf(req.headers, req.url), 120)}`, "protocol");
    }
  }

  /**
   * A whole 2xx answer as text, at most `max` bytes, gathered straight from the pool's dispatch: no response
   * stream, no promise per chunk (send() + a reader cost 20-30 µs more CPU per request; measured with
   * `bench/upstream-client.mjs`). A non-2xx answer becomes the same UpstreamError send() throws.
   */
  private collect(req: UpstreamRequest, max: number): Promise<string> {
    const t = { ...DEFAULT_TIMEOUTS, ...req.timeouts };
    const { signal } = req;
    let target: ReturnType<UpstreamClient["targetFor"]>;
    try {
      if (signal.aborted) throw signal.reason;
      target = this.targetFor(req.url);
    } catch (err) {
      return Promise.reject(mapTransportError(err, signal, t));
    }
    return new Promise<string>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | null = null;
      let status = 0;
      let headers: UpstreamResponse["headers"] = {};
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const onAbort = () => controller?.abort(signal.reason as Error);
      const settle = (err: unknown, text = "") => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        if (err !== null) reject(mapTransportError(err, signal, t));
        else if (status >= 200 && status < 300) resolve(text);
        else reject(this.httpError(req, status, headers, text));
      };
      const text = () => Buffer.concat(chunks, size).toString("utf8");
      signal.addEventListener("abort", onAbort, { once: true });
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (c) => {
          controller = c;
          if (signal.aborted) c.abort(signal.reason as Error);
        },
        onResponseStart: (c, statusCode, h) => {
          status = statusCode;
          headers = h;
          const refused = this.redirectRefused(statusCode);
          if (refused) return c.abort(refused);
          if (statusCode >= 200 && statusCode < 300 && Number(h["content-length"]) > max) {
            c.abort(new UpstreamError(`response larger than ${max} bytes`, "protocol"));
          }
        },
        onResponseData: (c, chunk) => {
          size += chunk.length;
          if (status >= 200 && status < 300) {
            if (size > max) return c.abort(new UpstreamError(`response larger than ${max} bytes`, "protocol"));
            chunks.push(chunk);
            return;
          }
          // An error answer: only its first bytes (its message) are wanted; the rest is not read.
          chunks.push(chunk);
          if (size >= LIMITS.errorBodyBytes) {
            settle(null, Buffer.concat(chunks, size).subarray(0, LIMITS.errorBodyBytes).toString("utf8"));
            c.abort(new UpstreamError("error answer cut", "protocol"));
          }
        },
        onResponseEnd: () => settle(null, text()),
        onResponseError: (_c, err) => settle(err),
      };
      try {
        target.dispatcher.dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: req.method ?? "POST",
            headers: req.headers,
            body: req.body,
            headersTimeout: t.first_byte_ms,
            bodyTimeout: t.idle_ms,
          },
          handler,
        );
      } catch (err) {
        settle(err);
      }
    });
  }

  /** Reads the whole body as text of any type (a transcript as JSON, text, SRT or VTT), at most `maxBytes`. */
  async text(req: UpstreamRequest, maxBytes = LIMITS.jsonBytes): Promise<{ text: string; contentType: string }> {
    const res = await this.send(req);
    const text = await readBounded(res, maxBytes, req.signal, { ...DEFAULT_TIMEOUTS, ...req.timeouts });
    const ct = res.headers["content-type"];
    return { text, contentType: (Array.isArray(ct) ? ct[0] : ct) ?? "application/octet-stream" };
  }

  /** Reads the whole body as bytes (images), refusing more than `maxBytes`. */
  async bytes(req: UpstreamRequest, maxBytes: number): Promise<{ data: Buffer; contentType: string }> {
    const res = await this.send(req);
    const t = { ...DEFAULT_TIMEOUTS, ...req.timeouts };
    if (Number(res.headers["content-length"]) > maxBytes) {
      discard(res.body);
      throw new UpstreamError(`response larger than ${maxBytes} bytes`, "protocol");
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res.body) {
        size += (c as Buffer).length;
        if (size > maxBytes) {
          discard(res.body);
          throw new UpstreamError(`response larger than ${maxBytes} bytes`, "protocol");
        }
        chunks.push(c as Buffer);
      }
    } catch (err) {
      throw mapTransportError(err, req.signal, t);
    }
    const ct = res.headers["content-type"];
    return { data: Buffer.concat(chunks), contentType: (Array.isArray(ct) ? ct[0] : ct) ?? "application/octet-stream" };
  }

  /** Opens an SSE response and yields its events as they arrive, those of each read as one batch. */
  async *eventBatches(req: UpstreamRequest): AsyncGenerator<EventSourceMessage[]> {
    const res = await this.send(req);
    yield* parseSseBatches(res.body, req.signal, { ...DEFAULT_TIMEOUTS, ...req.timeouts });
  }

  async close(): Promise<void> {
    await Promise.all([this.agent.close(), this.trusted?.close()]);
  }
}

/**
 * Parses a byte stream of Server-Sent Events (eventsource-parser does the framing) into the events each read of
 * the body completed (never an empty batch). A fast provider's events arrive several to a read; passing them on
 * together costs one trip through the relay's async steps, and one write to the client, instead of one per event.
 * One event may not grow past `maxEventBytes`: a line that never ends would otherwise be held in memory whole.
 */
export async function* parseSseBatches(
  body: AsyncIterable<Buffer | Uint8Array | string>,
  signal: AbortSignal,
  timeouts: Required<Timeouts>,
  maxEventBytes = LIMITS.sseEventBytes,
): AsyncGenerator<EventSourceMessage[]> {
  let batch: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => batch.push(e) });
  const decoder = new TextDecoder();
  let sinceBoundary = 0; // bytes since the last blank line (the end of an event)
  let lastChar = "";
  // A reader that stops at the stream's last event (OpenAI's [DONE]) returns before the body has signalled its
  // end, and a destroyed unfinished Node stream builds an AbortError with its stack: ~20 µs a stream. So a Node
  // body is read without destroy-on-return, and its end is awaited in the background.
  const readable = body instanceof Readable ? body : null;
  let stoppedEarly = true;
  try {
    for await (const chunk of readable ? readable.iterator({ destroyOnReturn: false }) : body) {
      const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      const boundary = Math.max(text.lastIndexOf("\n\n"), text.lastIndexOf("\r\r"), text.lastIndexOf("\n\r\n"));
      if (boundary >= 0) sinceBoundary = text.length - boundary;
      else if (lastChar === "\n" && text.startsWith("\n")) sinceBoundary = text.length;
      else sinceBoundary += text.length;
      lastChar = text.slice(-1);
      if (sinceBoundary > maxEventBytes) throw new UpstreamError(`stream event larger than ${maxEventBytes} bytes`, "protocol");
      parser.feed(text);
      if (batch.length) {
        const events = batch;
        batch = [];
        yield events;
      }
    }
    stoppedEarly = false;
  } catch (err) {
    stoppedEarly = false;
    if (readable) discard(readable);
    throw mapTransportError(err, signal, timeouts);
  } finally {
    if (readable && stoppedEarly) endAfterLastEvent(readable);
  }
  parser.feed(decoder.decode() + "\n\n");
  if (batch.length) yield batch;
}

/** The whole body as text: undici's own reader, cheaper than async iteration over the stream. */
async function readText(body: UpstreamResponse["body"], signal: AbortSignal, timeouts: Required<Timeouts>): Promise<string> {
  try {
    return await body.text();
  } catch (err) {
    throw mapTransportError(err, signal, timeouts);
  }
}

/**
 * The whole body as text, refusing more than `max` bytes: undici's own reader (cheaper than async iteration),
 * with a byte counter beside it that ends the body once it passes the limit. With `cut`, the first `max` bytes
 * are kept instead (error answers: only their message is wanted).
 */
async function readBounded(
  res: Pick<UpstreamResponse, "headers" | "body">,
  max: number,
  signal: AbortSignal,
  timeouts: Required<Timeouts>,
  cut = false,
): Promise<string> {
  const body = res.body;
  if (!cut && Number(res.headers["content-length"]) > max) {
    discard(body);
    throw new UpstreamError(`response larger than ${max} bytes`, "protocol");
  }
  if (cut) {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of body) {
        chunks.push(c as Buffer);
        size += (c as Buffer).length;
        if (size >= max) break; // leaving the loop ends the body and releases the connection's socket
      }
    } catch (err) {
      throw mapTransportError(err, signal, timeouts);
    }
    return Buffer.concat(chunks).subarray(0, max).toString("utf8");
  }
  // A declared length within the limit bounds the read already (undici frames the body by it): no counter needed.
  if (res.headers["content-length"] !== undefined) return readText(body, signal, timeouts);
  let size = 0;
  const count = (c: Buffer) => {
    size += c.length;
    if (size > max) body.destroy(new UpstreamError(`response larger than ${max} bytes`, "protocol"));
  };
  body.on("data", count);
  try {
    return await body.text();
  } catch (err) {
    throw mapTransportError(err, signal, timeouts);
  } finally {
    body.off("data", count);
  }
}

/** Ends a body the gateway will not read (its abort error has nobody to go to). */
function discard(body: Readable): void {
  body.on("error", () => undefined);
  body.destroy();
}

/**
 * After the reader stopped: the body's end (all a finished stream has left) is awaited in the background, so the
 * connection goes back to the pool. Any more data means the reader stopped mid-stream: the body is destroyed then,
 * so the provider stops generating. A provider that keeps the stream open without sending anything holds only
 * this background read, until its idle timeout.
 */
function endAfterLastEvent(body: Readable): void {
  if (body.readableEnded || body.destroyed) return;
  body.on("error", () => undefined);
  body.once("data", () => body.destroy());
  body.resume();
}

export function mapTransportError(err: unknown, signal: AbortSignal, t: Required<Timeouts>): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const guarded = err instanceof GuardedAddressError ? err : (err as { cause?: unknown })?.cause;
  if (guarded instanceof GuardedAddressError) return new UpstreamError(`refused to connect: ${guarded.message}`, "protocol");
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

/** The provider's own error message, briefly and redacted (`: <message>`), and its error code when it has one. */
function describeErrorBody(text: string, secrets: string[]): { message: string; code?: string } {
  if (!text) return { message: "" };
  try {
    const j = JSON.parse(text) as { error?: { message?: string; code?: unknown; type?: unknown; status?: unknown } | string; message?: string };
    const err = typeof j.error === "object" && j.error ? j.error : undefined;
    const msg = typeof j.error === "string" ? j.error : (err?.message ?? j.message);
    const code = [err?.code, err?.type, err?.status].find((c): c is string => typeof c === "string" && c !== "");
    if (typeof msg === "string" && msg) return { message: `: ${redact(msg, secrets, 300)}`, code };
    if (code) return { message: "", code };
  } catch {
    /* not JSON: fall through */
  }
  return { message: `: ${redact(text.trim(), secrets, 200)}` };
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
