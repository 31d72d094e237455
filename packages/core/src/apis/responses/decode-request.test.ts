import { describe, expect, it } from "vitest";
import { GatewayError } from "../../errors.js";
import { decodeInput, decodeResponsesRequest, namespacedNames } from "./decode-request.js";
import { encodeInput } from "./encode-input.js";

describe("decodeResponsesRequest", () => {
  it("takes a string input with instructions and sampling", () => {
    expect(decodeResponsesRequest({ input: "hi", instructions: "be kind", model: "m", max_output_tokens: 9, temperature: 0.5, top_p: 0.9 })).toEqual({
      system: ["be kind"],
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      tools: [],
      stream: false,
      model: "m",
      maxOutputTokens: 9,
      temperature: 0.5,
      topP: 0.9,
    });
  });

  it("keeps an assistant turn together: its reasoning, text and function calls, then the tool results", () => {
    const { system, messages } = decodeInput([
      { role: "developer", content: "dev rules" },
      {
        role: "user",
        content: [
          { type: "input_text", text: "look" },
          { type: "input_image", image_url: "https://x/y.png", detail: "low" },
        ],
      },
      { type: "reasoning", summary: [{ type: "summary_text", text: "thinking" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "calling" }] },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: [{ type: "input_text", text: "result" }] },
    ]);
    expect(system).toEqual(["dev rules"]);
    expect(messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image", url: "https://x/y.png", detail: "low" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "thinking" },
          { type: "text", text: "calling" },
          { type: "tool_call", id: "c1", name: "f", arguments: "{}" },
        ],
      },
      { role: "tool", toolCallId: "c1", content: "result" },
    ]);
  });

  it("puts a stored conversation before the new input", () => {
    const history = [{ role: "user" as const, content: [{ type: "text" as const, text: "before" }] }];
    expect(decodeResponsesRequest({ input: "now" }, history).messages.map((m) => (m.content as any)[0].text)).toEqual(["before", "now"]);
  });

  it("maps tools, tool_choice and text.format; refuses what it cannot run, naming it", () => {
    const req = decodeResponsesRequest({
      input: "x",
      tools: [{ type: "function", name: "f", description: null, parameters: null, strict: true }],
      tool_choice: { type: "function", name: "f" },
      text: { format: { type: "json_schema", name: "s", schema: { type: "object" }, description: null } },
    });
    expect(req.tools).toEqual([{ name: "f", parameters: { type: "object", properties: {} }, strict: true }]);
    expect(req.toolChoice).toEqual({ name: "f" });
    expect(req.output).toEqual({ type: "json_schema", name: "s", schema: { type: "object" } });
    const refused = (body: any) => {
      try {
        decodeResponsesRequest(body);
      } catch (e) {
        return [(e as GatewayError).code, (e as GatewayError).extra.param];
      }
      return null;
    };
    expect(refused({ input: "x", tools: [{ type: "file_search" }] })).toEqual(["unsupported_tool", "tools.0.type"]);
    expect(refused({ input: "x", tool_choice: { type: "web_search_preview" } })).toEqual(["unsupported_tool_choice", "tool_choice"]);
    expect(refused({ input: [{ role: "user", content: [{ type: "input_file", file_id: "f" }] }] })).toEqual(["unsupported_content", "input.0.content"]);
    expect(refused({ input: [{ role: "user", content: [{ type: "input_image", file_id: "f" }] }] })).toEqual(["unsupported_content", "input.0.content"]);
    expect(refused({ input: [{ type: "web_search_call", id: "w" }] })).toEqual(["unsupported_input_item", "input.0"]);
    expect(refused({ input: [] })).toEqual(["invalid_value", "input"]);
  });

  it("flattens a namespace's functions to <namespace>__<name>, and leaves built-in tools out when told to", () => {
    const tools = [
      { type: "namespace", name: "agents", description: "sub-agents", tools: [{ type: "function", name: "spawn", parameters: { type: "object" } }] },
      { type: "web_search", external_web_access: false },
    ];
    expect(() => decodeResponsesRequest({ input: "x", tools })).toThrow(/web_search/);
    const req = decodeResponsesRequest({ input: "x", tools, tool_choice: { type: "function", name: "spawn", namespace: "agents" } }, [], {
      dropUnsupportedTools: true,
    });
    expect(req.tools).toEqual([{ name: "agents__spawn", parameters: { type: "object" } }]);
    expect(req.toolChoice).toEqual({ name: "agents__spawn" });
    expect(namespacedNames(tools as never).get("agents__spawn")).toEqual({ namespace: "agents", name: "spawn" });
    const { messages } = decodeInput([{ type: "function_call", call_id: "c", namespace: "agents", name: "spawn", arguments: "{}" }]);
    expect(messages[0]).toEqual({ role: "assistant", content: [{ type: "tool_call", id: "c", name: "agents__spawn", arguments: "{}" }] });
  });

  it("skips built-in tool items when only keeping a conversation (lenient)", () => {
    expect(
      decodeInput(
        [
          { type: "web_search_call", id: "w" },
          { role: "user", content: "q" },
        ],
        "output",
        true,
      ).messages,
    ).toHaveLength(1);
  });

  it("round-trips a conversation through Responses input items", () => {
    const { messages } = decodeInput([
      {
        role: "user",
        content: [
          { type: "input_text", text: "q" },
          { type: "input_image", image_url: "data:image/png;base64,AA==", detail: "auto" },
        ],
      },
      { role: "assistant", content: "a" },
      { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c", output: "r" },
    ]);
    expect(decodeInput(encodeInput(messages) as never).messages).toEqual(messages);
  });
});
