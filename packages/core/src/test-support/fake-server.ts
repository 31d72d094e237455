/**
 * Real HTTP servers on 127.0.0.1 that stand in for providers in tests, with the failure modes a gateway must
 * survive: error statuses, hangs, connection resets, streams cut mid-way.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: any;
  /** The body as it came, before parsing. */
  text: string;
}

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, body: any) => void | Promise<void>;

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Replaces the behaviour for the following requests. */
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    requests.push({ method: req.method!, path: req.url!, headers: req.headers, body, text });
    try {
      await current(req, res, body);
    } catch (err) {
      res.destroy(err as Error);
    }
  }
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (h) => (current = h),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
}

/** Writes SSE events with an optional pause between them; `cutAfter` destroys the socket after that many. */
export async function sendSse(
  res: ServerResponse,
  events: Array<{ event?: string; data: string }>,
  opts: { gapMs?: number; cutAfter?: number } = {},
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (let i = 0; i < events.length; i++) {
    if (opts.cutAfter !== undefined && i >= opts.cutAfter) {
      await new Promise((r) => setTimeout(r, 30)); // let what was written reach the client first
      res.socket?.destroy();
      return;
    }
    const e = events[i]!;
    res.write(`${e.event ? `event: ${e.event}\n` : ""}data: ${e.data}\n\n`);
    if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  res.end();
}

/** A handler that never answers (for timeout tests). */
export const hang: FakeHandler = () => new Promise(() => undefined);

/** A handler that resets the connection without answering. */
export const reset: FakeHandler = (req) => {
  req.socket.destroy();
};

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/recorded/", import.meta.url));

/** A recorded real provider response (see test/fixtures/recorded/README.md). */
export function fixture(path: string): string {
  return readFileSync(FIXTURES + path, "utf8");
}

/** The lines of a recorded `*.chunks.txt` stream, one event payload each. */
export function fixtureChunks(path: string): string[] {
  return fixture(path)
    .split("\n")
    .filter((l) => l.trim() !== "");
}

/** A minimal OpenAI chat.completion body, as real servers send it. */
export function openaiCompletion(text: string, model = "gpt-4o-mini") {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: "stop", logprobs: null }],
    usage: { prompt_tokens: 5, completion_tokens: text.split(" ").length, total_tokens: 5 + text.split(" ").length },
  };
}

/** OpenAI chunk events for `words`, ending in a finish chunk, an optional usage chunk and [DONE]. */
export function openaiChunkEvents(words: string[], model = "gpt-4o-mini", withUsage = true): Array<{ data: string }> {
  const base = { id: "chatcmpl-test", object: "chat.completion.chunk", created: 1_700_000_000, model };
  const events = [
    { data: JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }) },
    ...words.map((w) => ({ data: JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] }) })),
    { data: JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) },
  ];
  if (withUsage) {
    events.push({
      data: JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length } }),
    });
  }
  events.push({ data: "[DONE]" });
  return events;
}

/**
 * The events of an SSE text whose events are named (`event: <type>` then `data: <json>`, Responses and Messages):
 * their data, each checked to carry its own name as `type`.
 */
export function namedEvents(text: string): Array<Record<string, any>> {
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine] = block.split("\n");
      const data = JSON.parse(dataLine!.slice(6)) as Record<string, any>;
      if (eventLine !== `event: ${data.type}`) throw new Error(`event line '${eventLine}' does not name type '${data.type}'`);
      return data;
    });
}
