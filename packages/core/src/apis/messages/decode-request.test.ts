import { describe, expect, it } from "vitest";
import { GatewayError } from "../../errors.js";
import { decodeMessagesRequest } from "./decode-request.js";
import { estimateInputTokens } from "./count-tokens.js";

describe("decodeMessagesRequest", () => {
  it("turns tool results into tool messages, in order, around the user's own text", () => {
    const req = decodeMessagesRequest({
      model: "m",
      max_tokens: 10,
      system: [
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ],
      messages: [
        { role: "user", content: "read it" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "t", signature: "sig" },
            { type: "text", text: "ok" },
            { type: "tool_use", id: "tu", name: "read", input: { p: 1 } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "tu", content: [{ type: "text", text: "body" }], is_error: true },
            { type: "text", text: "and now?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } },
          ],
        },
      ],
    });
    expect(req.system).toEqual(["a\nb"]);
    expect(req.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "read it" }] },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "t", signature: "sig" },
          { type: "text", text: "ok" },
          { type: "tool_call", id: "tu", name: "read", arguments: '{"p":1}' },
        ],
      },
      { role: "tool", toolCallId: "tu", content: "body", isError: true },
      {
        role: "user",
        content: [
          { type: "text", text: "and now?" },
          { type: "image", url: "data:image/png;base64,AA==" },
        ],
      },
    ]);
    expect(req.maxOutputTokens).toBe(10);
  });

  it("maps tool_choice, stop sequences, sampling, metadata and thinking", () => {
    const req = decodeMessagesRequest({
      max_tokens: 5,
      messages: [{ role: "user", content: "x" }],
      tools: [{ name: "f", input_schema: { type: "object" } }],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      stop_sequences: ["END"],
      temperature: 0.3,
      top_k: 40,
      metadata: { user_id: "u1" },
      thinking: { type: "enabled", budget_tokens: 2048 },
    });
    expect(req).toMatchObject({
      toolChoice: "required",
      parallelToolCalls: false,
      stop: ["END"],
      temperature: 0.3,
      topK: 40,
      user: "u1",
      reasoning: { budgetTokens: 2048 },
    });
    expect(decodeMessagesRequest({ max_tokens: 5, messages: [{ role: "user", content: "x" }], tool_choice: { type: "tool", name: "f" } }).toolChoice).toEqual({
      name: "f",
    });
  });

  it("refuses server tools and block types a translating provider cannot take", () => {
    const code = (body: any) => {
      try {
        decodeMessagesRequest({ max_tokens: 5, ...body });
      } catch (e) {
        return (e as GatewayError).code;
      }
      return null;
    };
    expect(code({ messages: [{ role: "user", content: "x" }], tools: [{ type: "bash_20250124", name: "bash" }] })).toBe("unsupported_tool");
    expect(code({ messages: [{ role: "user", content: [{ type: "document", source: {} }] }] })).toBe("unsupported_content");
    expect(code({ messages: [{ role: "user", content: [{ type: "image", source: { type: "file", file_id: "f" } }] }] })).toBe("unsupported_content");
  });
});

describe("estimateInputTokens", () => {
  it("counts about four characters a token, images at Anthropic's figure", () => {
    const n = estimateInputTokens({
      system: "x".repeat(400),
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "y".repeat(40) },
            { type: "image", source: { type: "url", url: "u" } },
          ],
        },
      ],
      tools: [{ name: "tool", description: "d".repeat(36), input_schema: {} }],
    });
    expect(n).toBe(Math.ceil((400 + 40 + 4 + 36 + 2) / 4) + 1600 + 4);
  });
});
