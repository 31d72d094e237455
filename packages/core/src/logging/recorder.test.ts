import { describe, expect, it } from "vitest";
import { LogRecorder } from "./recorder.js";
import type { RequestLogEntry } from "./types.js";

const price = (input: number, output: number) => ({ input, output });

describe("LogRecorder: an answer continued by a second provider", () => {
  it("adds both parts' usage and cost: the cut part estimated, the second as reported, each at its own price", () => {
    const rows: RequestLogEntry[] = [];
    const log = new LogRecorder({ write: (e) => void rows.push(e) }, "POST", "/v1/chat/completions");
    log.requestBytes = 400; // about 100 tokens of prompt
    log.price = price(1, 2);
    log.deliveredChars = 40; // about 10 tokens delivered before the cut
    log.seal();
    expect(log.entry.completionTokens).toBe(10);
    log.price = price(3, 5);
    log.setUsage({ inputTokens: 120, outputTokens: 30 });
    expect(log.usageTotal()).toEqual({ inputTokens: 220, outputTokens: 40 });
    expect(log.cost).toBeCloseTo((100 * 1 + 10 * 2 + 120 * 3 + 30 * 5) / 1e6, 12);
    log.finish(200);
    expect(rows[0]).toMatchObject({ promptTokens: 220, completionTokens: 40, totalTokens: 260, costEstimated: true });
    expect(rows[0]!.cost).toBeCloseTo(630 / 1e6, 12);
  });

  it("keeps a part's reported usage rather than estimating it, and adds the optional counts", () => {
    const log = new LogRecorder(undefined, "POST", "/v1/messages");
    log.price = price(1, 1);
    log.setUsage({ inputTokens: 10, outputTokens: 4, cachedInputTokens: 6 });
    log.seal();
    log.setUsage({ inputTokens: 12, outputTokens: 3, cachedInputTokens: 2, reasoningTokens: 1 });
    expect(log.usageTotal()).toEqual({ inputTokens: 22, outputTokens: 7, cachedInputTokens: 8, reasoningTokens: 1 });
    expect(log.entry.costEstimated).toBe(false);
  });

  it("a continuation that never served still leaves the first part's cost on the row", () => {
    const rows: RequestLogEntry[] = [];
    const log = new LogRecorder({ write: (e) => void rows.push(e) }, "POST", "/v1/responses");
    log.requestBytes = 80;
    log.price = price(10, 10);
    log.deliveredChars = 8;
    log.seal();
    log.finish(502, "cut");
    expect(rows[0]!.cost).toBeCloseTo((20 * 10 + 2 * 10) / 1e6, 12);
  });

  it("the routing decision names the providers and the seams", () => {
    const log = new LogRecorder(undefined, "POST", "/v1/chat/completions");
    log.continued({ providers: ["a", "b"], seams: [12] });
    expect(log.entry.routing).toEqual({ models: [], policy: null, fallback: null, continued: { providers: ["a", "b"], seams: [12] } });
  });
});
