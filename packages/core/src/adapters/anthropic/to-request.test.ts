import { describe, expect, it } from "vitest";
import { toAnthropicRequest, JSON_TOOL_NAME, DEFAULT_MAX_TOKENS } from "./to-request.js";
import { canonicalRequest } from "../../test-support/canonical.js";

const ask = canonicalRequest;

describe("toAnthropicRequest", () => {
  it("moves system prompts out, merges same-role turns, maps images and tool turns", () => {
    const out = toAnthropicRequest(
      {
        system: ["Be brief.", "Use metric."],
        messages: [
          { role: "user", content: [{ type: "text", text: "Hi" }] },
          {
            role: "user",
            content: [
              { type: "text", text: "See" },
              { type: "image", url: "data:image/png;base64,AAA=" },
              { type: "image", url: "https://x/y.jpg" },
            ],
          },
          { role: "assistant", content: [{ type: "tool_call", id: "call_1", name: "w", arguments: '{"c":"Paris"}' }] },
          { role: "tool", toolCallId: "call_1", content: "20C" },
          { role: "tool", toolCallId: "call_2", content: "no such city", isError: true },
        ],
        tools: [],
        stream: false,
      },
      "claude-x",
      false,
    );
    expect(out.system).toBe("Be brief.\n\nUse metric.");
    expect(out.max_tokens).toBe(DEFAULT_MAX_TOKENS);
    expect(out.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(out.messages[0]!.content).toEqual([
      { type: "text", text: "Hi" },
      { type: "text", text: "See" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "AAA=" } },
      { type: "image", source: { type: "url", url: "https://x/y.jpg" } },
    ]);
    expect(out.messages[1]!.content).toEqual([{ type: "tool_use", id: "call_1", name: "w", input: { c: "Paris" } }]);
    expect(out.messages[2]!.content).toEqual([
      { type: "tool_result", tool_use_id: "call_1", content: "20C" },
      { type: "tool_result", tool_use_id: "call_2", content: "no such city", is_error: true },
    ]);
    expect(out.stream).toBeUndefined();
  });

  it("maps sampling, stop, tools, tool choice and parallelism", () => {
    const out = toAnthropicRequest(
      ask({
        maxOutputTokens: 50,
        temperature: 1.5,
        topP: 0.9,
        topK: 5,
        stop: ["END"],
        tools: [{ name: "f", description: "d", parameters: { type: "object", properties: { a: { type: "string" } } } }],
        toolChoice: { name: "f" },
        parallelToolCalls: false,
        user: "u-1",
      }),
      "m",
      true,
    );
    expect(out).toMatchObject({ max_tokens: 50, temperature: 1, top_p: 0.9, top_k: 5, stop_sequences: ["END"], stream: true, metadata: { user_id: "u-1" } });
    expect(out.tools).toEqual([{ name: "f", description: "d", input_schema: { type: "object", properties: { a: { type: "string" } } } }]);
    expect(out.tool_choice).toEqual({ type: "tool", name: "f", disable_parallel_tool_use: true });
    expect(toAnthropicRequest(ask({ toolChoice: "required" }), "m", false).tool_choice).toEqual({ type: "any" });
  });

  it("forces JSON output through one tool with the requested schema", () => {
    const schema = { type: "object", properties: { n: { type: "number" } } };
    const out = toAnthropicRequest(ask({ output: { type: "json_schema", name: "s", schema } }), "m", false);
    expect(out.tools).toEqual([{ name: JSON_TOOL_NAME, description: "Respond with the JSON answer.", input_schema: schema }]);
    expect(out.tool_choice).toEqual({ type: "tool", name: JSON_TOOL_NAME });
  });

  it("thinks on a budget or an effort, adding the budget to max_tokens", () => {
    expect(toAnthropicRequest(ask({ maxOutputTokens: 100, reasoning: { budgetTokens: 2000 } }), "m", false)).toMatchObject({
      max_tokens: 2100,
      thinking: { type: "enabled", budget_tokens: 2000 },
    });
    expect(toAnthropicRequest(ask({ reasoning: { effort: "low" } }), "m", false).thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(toAnthropicRequest(ask({ reasoning: { effort: "none" } }), "m", false).thinking).toBeUndefined();
  });

  it("sends earlier signed thinking back first when this turn thinks, and never unsigned or unasked", () => {
    const history = ask({
      messages: [
        { role: "user", content: [{ type: "text", text: "weather?" }] },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me look." },
            { type: "reasoning", text: "need the tool", signature: "sig-1" },
            { type: "reasoning", text: "another provider's thoughts" },
            { type: "tool_call", id: "t1", name: "w", arguments: "{}" },
          ],
        },
        { role: "tool", toolCallId: "t1", content: "sunny" },
      ],
    });
    const thinking = toAnthropicRequest({ ...history, reasoning: { budgetTokens: 1024 } }, "m", false);
    expect(thinking.messages[1]!.content).toEqual([
      { type: "thinking", thinking: "need the tool", signature: "sig-1" },
      { type: "text", text: "Let me look." },
      { type: "tool_use", id: "t1", name: "w", input: {} },
    ]);
    expect(toAnthropicRequest(history, "m", false).messages[1]!.content.map((b) => b.type)).toEqual(["text", "tool_use"]);
  });
});
