import { describe, expect, it } from "vitest";
import { fixtureChunks } from "../../test-support/fake-server.js";
import type { ChatCompletionChunk } from "../../openai/schema.js";
import type { StreamPart } from "../../canonical/types.js";
import { ChatChunkDecoder } from "./from-stream.js";
import { resultFromChat } from "./from-response.js";

describe("Chat Completions answers → canonical", () => {
  it("decodes a recorded real OpenAI stream into the same text, a finish and usage", () => {
    const chunks = fixtureChunks("openai/openai-text.chunks.txt").map((l) => JSON.parse(l) as ChatCompletionChunk);
    const decoder = new ChatChunkDecoder();
    const parts = chunks.flatMap((c) => decoder.decode(c));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(
      parts
        .filter((p) => p.type === "text")
        .map((p) => (p as { delta: string }).delta)
        .join(""),
    ).toBe(text);
    expect(parts.filter((p) => p.type === "finish")).toEqual([{ type: "finish", reason: "stop" }]);
    expect(parts.some((p) => p.type === "usage")).toBe(true);
    expect(parts[0]).toEqual({ type: "model", model: chunks[0]!.model });
  });

  it("opens each tool call once per answer, keeps reasoning_content, and numbers later answers' parts", () => {
    const base = { id: "x", object: "chat.completion.chunk" as const, created: 1, model: "m" };
    const decoder = new ChatChunkDecoder();
    const parts: StreamPart[] = [
      { ...base, choices: [{ index: 0, delta: { reasoning_content: "hm" }, finish_reason: null }] },
      {
        ...base,
        choices: [
          { index: 0, delta: { tool_calls: [{ index: 0, id: "c", type: "function" as const, function: { name: "f", arguments: "" } }] }, finish_reason: null },
        ],
      },
      {
        ...base,
        choices: [
          { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "{}" } }] }, finish_reason: null },
          { index: 1, delta: { content: "other" }, finish_reason: null },
        ],
      },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" as const }] },
    ].flatMap((c) => decoder.decode(c));
    expect(parts.filter((p) => p.type !== "model")).toEqual([
      { type: "reasoning", delta: "hm" },
      { type: "tool_call_start", index: 0, id: "c", name: "f" },
      { type: "tool_call_delta", index: 0, delta: "{}" },
      { type: "text", delta: "other", choice: 1 },
      { type: "finish", reason: "tool_calls" },
    ]);
  });

  it("decodes a completion with cached and reasoning token details", () => {
    const r = resultFromChat({
      id: "x",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "length" }],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
    expect(r).toEqual({
      model: "m",
      choices: [{ content: [{ type: "text", text: "hi" }], finish: "length" }],
      usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 4, reasoningTokens: 2 },
    });
  });

  it("decodes every answer in index order, with its logprobs", () => {
    const logprobs = { content: [{ token: "Hi", logprob: -0.2, bytes: [72, 105], top_logprobs: [{ token: "Hi", logprob: -0.2, bytes: [72, 105] }] }] };
    const r = resultFromChat({
      id: "x",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [
        { index: 1, message: { role: "assistant", content: "Yo" }, finish_reason: "stop" },
        { index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop", logprobs },
      ],
    });
    expect(r.choices).toEqual([
      {
        content: [{ type: "text", text: "Hi" }],
        finish: "stop",
        logprobs: [{ token: "Hi", logprob: -0.2, bytes: [72, 105], top: [{ token: "Hi", logprob: -0.2, bytes: [72, 105] }] }],
      },
      { content: [{ type: "text", text: "Yo" }], finish: "stop" },
    ]);
  });
});
