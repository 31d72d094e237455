/**
 * The end of an upstream event stream: a reader that stops at the last event (OpenAI's [DONE]) leaves the
 * connection to the pool once the body ends; one that stops while the provider is still sending ends the
 * connection, so the provider stops generating.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { UpstreamClient } from "./client.js";

let server: FakeServer | null = null;
const client = new UpstreamClient();
afterEach(async () => {
  await server?.close();
  server = null;
});

/** Reads events until [DONE], then stops, as the chat relay does. */
async function readUntilDone(url: string): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of client.events({ url, body: "{}", signal: new AbortController().signal, timeouts: {} })) {
    if (event.data === "[DONE]") break;
    seen.push(event.data);
  }
  return seen;
}

describe("UpstreamClient.events, stopped at the last event", () => {
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
