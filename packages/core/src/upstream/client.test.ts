/**
 * The end of an upstream event stream: a reader that stops at the last event (OpenAI's [DONE]) leaves the
 * connection to the pool once the body ends; one that stops while the provider is still sending ends the
 * connection, so the provider stops generating.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { UpstreamError } from "../errors.js";
import { DEFAULT_TIMEOUTS, parseSseBatches, UpstreamClient } from "./client.js";

let server: FakeServer | null = null;
const client = new UpstreamClient();
afterEach(async () => {
  await server?.close();
  server = null;
});

/** Reads events until [DONE], then stops, as the chat relay does. */
async function readUntilDone(url: string): Promise<string[]> {
  const seen: string[] = [];
  for await (const batch of client.eventBatches({ url, body: "{}", signal: new AbortController().signal, timeouts: {} })) {
    const done = batch.findIndex((event) => event.data === "[DONE]");
    seen.push(...batch.slice(0, done === -1 ? undefined : done).map((event) => event.data));
    if (done !== -1) break;
  }
  return seen;
}

describe("UpstreamClient.eventBatches, stopped at the last event", () => {
  it("hands the connection back to the pool once the body ends", async () => {
    const ports: number[] = [];
    server = await startFakeServer((req, res) => {
      ports.push(req.socket.remotePort!);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      res.end("data: [DONE]\n\n");
    });
    expect(await readUntilDone(`${server.url}/v1/chat/completions`)).toEqual(["one"]);
    await new Promise((r) => setTimeout(r, 20)); // the body's end, read in the background
    expect(await readUntilDone(`${server.url}/v1/chat/completions`)).toEqual(["one"]);
    expect(ports).toHaveLength(2);
    expect(ports[1]).toBe(ports[0]); // the same connection, kept alive
  });

  it("ends the connection when the provider goes on sending after the reader stopped", async () => {
    let closed!: () => void;
    const socketClosed = new Promise<void>((r) => (closed = r));
    server = await startFakeServer((req, res) => {
      req.socket.once("close", () => closed());
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\ndata: [DONE]\n\n");
      // Still generating: more arrives after the reader has gone.
      const more = setInterval(() => res.write("data: more\n\n"), 20);
      res.once("close", () => clearInterval(more));
    });
    expect(await readUntilDone(`${server.url}/v1/chat/completions`)).toEqual(["one"]);
    await expect(Promise.race([socketClosed.then(() => "closed"), new Promise((r) => setTimeout(() => r("still open"), 2000))])).resolves.toBe("closed");
  });
});

/** The body as these reads, one after another. */
async function* reads(...texts: string[]): AsyncGenerator<string> {
  for (const text of texts) yield text;
}

async function batchesOf(...texts: string[]): Promise<string[][]> {
  const out: string[][] = [];
  for await (const batch of parseSseBatches(reads(...texts), new AbortController().signal, DEFAULT_TIMEOUTS)) out.push(batch.map((e) => e.data));
  return out;
}

describe("parseSseBatches", () => {
  it("yields the events each read completed together, an event split over reads once whole, never an empty batch", async () => {
    expect(await batchesOf("data: a\n\ndata: b\n\n", "data: c\n\n")).toEqual([["a", "b"], ["c"]]);
    expect(await batchesOf("data: a\n\ndata: b", "art\n", "\n", ": ping\n\n", "data: c\n\n")).toEqual([["a"], ["bart"], ["c"]]);
    // A last event without its blank line still counts once the body ends.
    expect(await batchesOf("data: a\n\ndata: last")).toEqual([["a"], ["last"]]);
  });

  it("refuses an event that grows past the limit, however it is split", async () => {
    const events = parseSseBatches(reads("data: a\n\n", "data: " + "x".repeat(40), "x".repeat(40)), new AbortController().signal, DEFAULT_TIMEOUTS, 64);
    const seen: string[][] = [];
    await expect(
      (async () => {
        for await (const batch of events) seen.push(batch.map((e) => e.data));
      })(),
    ).rejects.toThrow(/stream event larger than 64 bytes/);
    expect(seen).toEqual([["a"]]);
  });
});

describe("UpstreamClient.json", () => {
  const call = (url: string, signal = new AbortController().signal, c = client) =>
    c.json({ url, headers: { authorization: "Bearer sk-secret-123456", "content-type": "application/json" }, body: '{"q":1}', signal, timeouts: {} });

  it("sends the request as given and reads the answer over one kept-alive connection", async () => {
    server = await startFakeServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ port: req.socket.remotePort, url: req.url, auth: req.headers.authorization }));
    });
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const answer = (await call(`${server.url}/v1/models/m:generate?alt=json`)) as { port: number; url: string; auth: string };
      expect(answer).toMatchObject({ url: "/v1/models/m:generate?alt=json", auth: "Bearer sk-secret-123456" });
      ports.add(answer.port);
    }
    expect(server.requests[0]!.body).toEqual({ q: 1 });
    // Undici settles a call just before its connection is free again, so back-to-back calls use two connections.
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it("turns an error answer into the provider's message, redacted, with its Retry-After", async () => {
    server = await startFakeServer((_req, res) => {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
      res.end(JSON.stringify({ error: { message: "slow down, key sk-secret-123456", code: "rate_limit_exceeded" } }));
    });
    const err = (await call(`${server.url}/v1/chat`).catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: "http", status: 429, retryAfterMs: 7000, code: "rate_limit_exceeded" });
    expect(err.message).toMatch(/^HTTP 429: slow down, key /);
    expect(err.message).not.toContain("sk-secret-123456");
  });

  it("settles on the first bytes of an error answer that never ends", async () => {
    server = await startFakeServer((_req, res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.write("x".repeat(20_000)); // and never ends
    });
    const err = (await call(`${server.url}/v1/chat`).catch((e: unknown) => e)) as UpstreamError;
    expect(err).toMatchObject({ kind: "http", status: 500 });
    expect(err.message.length).toBeLessThan(400);
  });

  it("ends the call when the request's signal aborts mid-answer: the client left, or the deadline passed", async () => {
    server = await startFakeServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":'); // and waits
    });
    const left = new AbortController();
    setTimeout(() => left.abort(new DOMException("client closed the connection", "AbortError")), 50);
    await expect(call(`${server.url}/v1/chat`, left.signal)).rejects.toMatchObject({ kind: "aborted" });
    const late = new AbortController();
    setTimeout(() => late.abort(new DOMException("request deadline of 50 ms passed", "TimeoutError")), 50);
    await expect(call(`${server.url}/v1/chat`, late.signal)).rejects.toMatchObject({ kind: "timeout", message: "request deadline of 50 ms passed" });
    const already = new AbortController();
    already.abort(new DOMException("gone", "AbortError"));
    const before = server.requests.length;
    await expect(call(`${server.url}/v1/chat`, already.signal)).rejects.toMatchObject({ kind: "aborted" });
    expect(server.requests.length).toBe(before); // nothing sent
  });

  it("through the guard: an internal address is refused before connecting, a redirect is not followed", async () => {
    server = await startFakeServer((_req, res) => {
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" });
      res.end("moved");
    });
    const guarded = new UpstreamClient({ guard: { allowList: [] } });
    await expect(call(`${server.url}/v1/chat`, undefined, guarded)).rejects.toMatchObject({
      kind: "protocol",
      message: expect.stringMatching(/internal address/),
    });
    expect(server.requests).toHaveLength(0);
    await expect(call("file:///etc/passwd", undefined, guarded)).rejects.toMatchObject({ kind: "protocol", message: "refused to fetch a file: URL" });
    const allowed = new UpstreamClient({ guard: { allowList: ["127.0.0.1"] } });
    await expect(call(`${server.url}/v1/chat`, undefined, allowed)).rejects.toMatchObject({
      kind: "protocol",
      status: 302,
      message: expect.stringMatching(/redirects are not followed/),
    });
    await Promise.all([guarded.close(), allowed.close()]);
  });
});
