/**
 * Optional storage of request and response bodies (off by default: bodies hold prompts and answers). When on,
 * each logged request's bodies are kept up to a size cap, with credentials redacted: anything shaped like a key or
 * bearer token, the providers' own keys, and the values of JSON fields named like secrets. Binary bodies (audio
 * uploads, generated speech, images) are described, never stored. Streams are teed as they pass, so capture adds
 * no waiting: the copy is cut at the cap and written when the stream ends.
 */
import { redact } from "../upstream/redact.js";

export interface RequestBodies {
  /** The request log row's id. */
  id: string;
  time: Date;
  request: string | null;
  response: string | null;
  /** Either body was longer than the cap and is cut. */
  truncated: boolean;
}

export interface RequestBodySink {
  write(bodies: RequestBodies): void;
}

export interface BodyCaptureOptions {
  sink: RequestBodySink;
  /** Characters kept per body. */
  maxChars: number;
  /** Credentials to redact wherever they appear (the providers' keys), read when a body is stored. */
  secrets?: () => readonly string[];
}

/** JSON string values of fields whose names say they are credentials. */
const SECRET_FIELDS = /("(?:[\w-]*(?:api[_-]?key|authorization|password|secret|token|credential)[\w-]*)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
const TEXTUAL = /^(application\/(json|x-ndjson|x-www-form-urlencoded)|text\/)/i;

/** One request's capture: the request body when read, the response as it is sent. */
export class BodyCapture {
  private request: string | null = null;
  private response = "";
  private responseSeen = false;
  private truncated = false;
  private written = false;

  constructor(
    private readonly options: BodyCaptureOptions,
    private readonly id: string,
    private readonly time: Date,
  ) {}

  /** The request body as read, if it is text. */
  setRequest(body: Buffer, contentType: string | undefined): void {
    this.request = this.textOf(body, contentType);
  }

  /** A response body sent whole. */
  setResponse(body: string | Buffer | undefined, contentType: string | undefined): void {
    this.responseSeen = true;
    this.response = body === undefined ? "" : (this.textOf(typeof body === "string" ? Buffer.from(body) : body, contentType) ?? "");
  }

  /** `stream` passed through unchanged, its text copied up to the cap; the bodies are written when it ends. */
  async *tee<T extends string | Uint8Array>(stream: AsyncIterable<T>, contentType: string | undefined): AsyncIterable<T> {
    this.responseSeen = true;
    const textual = !contentType || TEXTUAL.test(contentType) || /event-stream/i.test(contentType);
    let bytes = 0;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
        if (textual && this.response.length < this.options.maxChars) {
          this.response += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
        }
        yield chunk;
      }
    } finally {
      if (!textual) this.response = `[${bytes} bytes of ${contentType} not stored]`;
      this.write();
    }
  }

  /** Writes the bodies (once), cut and redacted. */
  write(): void {
    if (this.written) return;
    this.written = true;
    const request = this.request === null ? null : this.clean(this.request);
    const response = this.responseSeen ? this.clean(this.response) : null;
    this.options.sink.write({ id: this.id, time: this.time, request, response, truncated: this.truncated });
  }

  private textOf(body: Buffer, contentType: string | undefined): string {
    if (contentType && !TEXTUAL.test(contentType)) return `[${body.byteLength} bytes of ${contentType.split(";")[0]} not stored]`;
    // Decoded no further than the cap needs (a 4-byte character at most per character kept).
    return body.subarray(0, this.options.maxChars * 4 + 4).toString("utf8");
  }

  private clean(text: string): string {
    const fields = text.replace(SECRET_FIELDS, '$1"[redacted]"');
    const out = redact(fields, this.options.secrets?.() ?? [], this.options.maxChars);
    if (out.length > this.options.maxChars || text.length > this.options.maxChars) this.truncated = true;
    return out;
  }
}
