/**
 * A gateway whose log rows become safe from a kill only when the test says so (`release`), like the spool's at the
 * end of a turn: for tests that answers wait for `RequestLogSink.durable`. Its one provider answers JSON or a
 * short stream.
 */
import type { RequestLogEntry } from "../logging/types.js";
import { openaiChunkEvents, openaiCompletion, sendJson, sendSse, startFakeServer } from "./fake-server.js";
import { startTestGateway, type TestGateway } from "./gateway.js";

export interface HeldLogGateway {
  gw: TestGateway;
  /** Rows written so far (the test may empty it). */
  rows: RequestLogEntry[];
  /** Makes every row written so far safe. */
  release(): void;
  /** The body of a chat request to the provider. */
  chatBody(stream: boolean): string;
  close(): Promise<void>;
}

export async function startHeldLogGateway(): Promise<HeldLogGateway> {
  const up = await startFakeServer(async (_req, res, body) => {
    if (!body.stream) return sendJson(res, 200, openaiCompletion("hi"));
    await sendSse(res, openaiChunkEvents(["a", "b"]));
  });
  const rows: RequestLogEntry[] = [];
  let resolve: () => void = () => {};
  let pending: Promise<void> | null = null;
  const logSink = {
    write(e: RequestLogEntry) {
      rows.push(e);
      pending ??= new Promise<void>((r) => (resolve = r));
    },
    durable: () => pending,
  };
  const gw = await startTestGateway(`providers:\n  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m] }\n`, { logSink });
  return {
    gw,
    rows,
    release() {
      pending = null;
      resolve();
    },
    chatBody: (stream) => JSON.stringify({ model: "m", stream, messages: [{ role: "user", content: "hi" }] }),
    async close() {
      await gw.close();
      await up.close();
    },
  };
}
