import { describe, expect, it } from "vitest";
import { startHeldLogGateway } from "../test-support/held-log.js";

describe("webHandler", () => {
  it("ends an answer only once its log row is safe (the sink's durable), JSON and streamed", async () => {
    const held = await startHeldLogGateway();
    const handler = held.gw.gateway.webHandler();
    const settled = (p: Promise<unknown>) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);
    try {
      for (const stream of [false, true]) {
        held.rows.length = 0;
        const request = new Request(`${held.gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: held.chatBody(stream),
        });
        // JSON: the Response itself waits; a stream: its body ends only then.
        const answer = handler(request).then((res) => res.text());
        await expect.poll(() => held.rows.length).toBe(1);
        expect(await settled(answer)).toBe(false); // the row is written but not yet safe: the answer has not ended
        held.release();
        expect(await answer).toContain(stream ? "[DONE]" : '"hi"');
      }
    } finally {
      await held.close();
    }
  });
});
