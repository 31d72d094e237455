import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { startHeldLogGateway } from "../test-support/held-log.js";
import { writeNodeResponse } from "./node.js";

describe("writeNodeResponse", () => {
  it("leaves no listeners behind at back-pressure waits (a slow reader makes thousands of them)", async () => {
    let most = 0;
    let waits = 0;
    let resRef: ServerResponse | undefined;
    const server = createServer((_req, res) => {
      resRef = res;
      res.on("drain", () => waits++);
      async function* body() {
        const chunk = "x".repeat(64 * 1024);
        for (let i = 0; i < 300; i++) {
          most = Math.max(most, res.listenerCount("close"), res.listenerCount("drain"));
          yield chunk;
        }
      }
      void writeNodeResponse(res, { status: 200, headers: { "content-type": "text/plain" }, body: body() });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const reader = res.body!.getReader();
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      await new Promise((r) => setTimeout(r, 1)); // a slow reader: the socket fills up
    }
    server.close();
    expect(total).toBe(300 * 64 * 1024);
    expect(waits).toBeGreaterThan(10);
    const baseline = Math.max(resRef!.listenerCount("close"), resRef!.listenerCount("drain"));
    expect(most).toBeLessThanOrEqual(baseline + 2);
  });

  it("ends an answer only once its log row is safe (the sink's durable), JSON and streamed", async () => {
    const held = await startHeldLogGateway();
    try {
      for (const stream of [false, true]) {
        held.rows.length = 0;
        let ended = false;
        const answer = fetch(`${held.gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: held.chatBody(stream),
        }).then(async (res) => {
          const text = await res.text();
          ended = true;
          return text;
        });
        await vi.waitFor(() => expect(held.rows).toHaveLength(1));
        await new Promise((r) => setTimeout(r, 100));
        expect(ended).toBe(false); // the row is written but not yet safe: the answer has not ended
        held.release();
        expect(await answer).toContain(stream ? "[DONE]" : '"hi"');
      }
    } finally {
      await held.close();
    }
  });
});
