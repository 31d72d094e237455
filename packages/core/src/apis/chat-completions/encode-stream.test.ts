import { describe, expect, it } from "vitest";
import { ChatStreamEncoder } from "./encode-stream.js";
import type { StreamPart } from "../../canonical/types.js";

function run(parts: StreamPart[], includeUsage: boolean): { chunks: any[]; done: boolean } {
  const encoder = new ChatStreamEncoder({ id: "chatcmpl-1", created: 5, model: "asked", provider: "P", includeUsage });
  const text = encoder.start() + parts.map((p) => encoder.part(p)).join("") + encoder.end();
  const events = text.split("\n\n").filter(Boolean);
  return { chunks: events.filter((e) => e !== "data: [DONE]").map((e) => JSON.parse(e.slice(6))), done: events.at(-1) === "data: [DONE]" };
}

describe("canonical parts → chat.completion.chunk", () => {
  const parts: StreamPart[] = [
    { type: "model", model: "served" },
    { type: "reasoning", delta: "hm" },
    { type: "text", delta: "Hi" },
    { type: "logprobs", tokens: [{ token: "Hi", logprob: -0.1, top: [] }] },
    { type: "tool_call_start", index: 0, id: "c", name: "f" },
    { type: "tool_call_delta", index: 0, delta: '{"a":1}' },
    { type: "text", delta: "Yo", choice: 1 },
    { type: "finish", reason: "tool_calls" },
    { type: "finish", reason: "stop", choice: 1 },
    { type: "usage", usage: { inputTokens: 3, outputTokens: 4 } },
  ];

  it("opens each answer with its role, relays deltas, finishes each, ends with usage when asked, then [DONE]", () => {
    const { chunks, done } = run(parts, true);
    expect(done).toBe(true);
    expect(chunks.every((c) => c.id === "chatcmpl-1" && c.object === "chat.completion.chunk" && c.created === 5 && c.provider === "P")).toBe(true);
    expect(chunks[0]).toMatchObject({ model: "asked", choices: [{ index: 0, delta: { role: "assistant", content: "", refusal: null }, finish_reason: null }] });
    expect(chunks.slice(1).map((c) => [c.choices[0]?.index, c.choices[0]?.delta, c.choices[0]?.finish_reason ?? null])).toEqual([
      [0, { reasoning_content: "hm" }, null],
      [0, { content: "Hi" }, null],
      [0, {}, null],
      [0, { tool_calls: [{ index: 0, id: "c", type: "function", function: { name: "f", arguments: "" } }] }, null],
      [0, { tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }, null],
      [1, { role: "assistant", content: "", refusal: null }, null],
      [1, { content: "Yo" }, null],
      [0, {}, "tool_calls"],
      [1, {}, "stop"],
      [undefined, undefined, null],
    ]);
    expect(chunks[3].choices[0].logprobs).toEqual({ content: [{ token: "Hi", logprob: -0.1, bytes: [72, 105], top_logprobs: [] }], refusal: null });
    expect(chunks.slice(1).every((c) => c.model === "served")).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
  });

  it("leaves the usage chunk out unless the client asked for it", () => {
    const { chunks } = run(parts, false);
    expect(chunks.some((c) => "usage" in c)).toBe(false);
  });
});
