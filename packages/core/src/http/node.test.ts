import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
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
});
