import { describe, expect, it } from "vitest";
import { toAnthropicRequest, JSON_TOOL_NAME, DEFAULT_MAX_TOKENS } from "./to-request.js";
import type { ChatRequest } from "../../openai/schema.js";

describe("toAnthropicRequest", () => {
  it("moves system prompts out, merges same-role turns, maps images and tool turns", () => {
    const req: ChatRequest = {
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: "Use metric." },
        { role: "user", content: "Hi" },
        {
          role: "user",
          content: [
            { type: "text", text: "See" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAA=" } },
            { type: "image_url", image_url: { url: "https://x/y.jpg" } },
          ],
        },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "w", arguments: '{"c":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "20C" },
        { role: "tool", tool_call_id: "call_2", content: "21C" },
      ],
    };
    const out = toAnthropicRequest(req, "claude-x", false);
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
      { type: "tool_result", tool_use_id: "call_2", content: "21C" },
    ]);
    expect(out.stream).toBeUndefined();
  });

  it("maps sampling, stop, tools and tool choice", () => {
    const out = toAnthropicRequest(
      {
        messages: [{ role: "user", content: "x" }],
        max_tokens: 50,
        temperature: 1.5,
        top_p: 0.9,
        stop: "END",
        tools: [{ type: "function", function: { name: "f", description: "d", parameters: { type: "object", properties: { a: { type: "string" } } } } }],
        tool_choice: { type: "function", function: { name: "f" } },
      },
      "m",
      true,
    );
    expect(out).toMatchObject({ max_tokens: 50, temperature: 1, top_p: 0.9, stop_sequences: ["END"], stream: true });
    expect(out.tools).toEqual([{ name: "f", description: "d", input_schema: { type: "object", properties: { a: { type: "string" } } } }]);
    expect(out.tool_choice).toEqual({ type: "tool", name: "f" });
    expect(toAnthropicRequest({ messages: [{ role: "user", content: "x" }], tool_choice: "required" }, "m", false).tool_choice).toEqual({ type: "any" });
  });

  it("forces JSON output through one tool with the requested schema", () => {
    const schema = { type: "object", properties: { n: { type: "number" } } };
    const out = toAnthropicRequest(
      { messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "s", schema } } },
      "m",
      false,
    );
    expect(out.tools).toEqual([{ name: JSON_TOOL_NAME, description: "Respond with the JSON answer.", input_schema: schema }]);
    expect(out.tool_choice).toEqual({ type: "tool", name: JSON_TOOL_NAME });
  });
});
