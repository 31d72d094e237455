import { describe, expect, it } from "vitest";
import { fixtureChunks, namedEvents } from "../../test-support/fake-server.js";
import type { StreamPart } from "../../canonical/types.js";
import { responseShell, type ToolNames } from "./encode-result.js";
import { ResponsesStreamEncoder } from "./encode-stream.js";

const shell = () => responseShell({ input: "x", model: "m" }, "resp_1", "m");

function run(parts: StreamPart[], end: (e: ResponsesStreamEncoder) => string = (e) => e.end(), names?: ToolNames): Array<Record<string, any>> {
  const e = new ResponsesStreamEncoder(shell(), names);
  let text = e.start();
  for (const p of parts) text += e.part(p);
  text += end(e);
  return namedEvents(text);
}

/** The text-only turn of a recorded real OpenAI stream (the fourth of the conversation). */
function recordedTextTurn(): Array<Record<string, any>> {
  const lines = fixtureChunks("openai-responses/openai-reasoning-encrypted-content.1.chunks.txt").map((l) => JSON.parse(l));
  const starts = lines.flatMap((l, i) => (l.type === "response.created" ? [i] : []));
  return lines.slice(starts.at(-1));
}

describe("ResponsesStreamEncoder", () => {
  it("emits the events a real OpenAI text stream has, in its order, with its fields", () => {
    const recorded = recordedTextTurn();
    const deltas = recorded.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta as string);
    const ours = run([...deltas.map((delta): StreamPart => ({ type: "text", delta })), { type: "finish", reason: "stop" }]);
    expect(ours.map((e) => e.type)).toEqual(recorded.map((e) => e.type));
    ours.forEach((event, i) => {
      // Every field OpenAI sends is there (the ids are ours; `obfuscation` is OpenAI's padding).
      const expected = Object.keys(recorded[i]!).filter((k) => k !== "obfuscation");
      expect(Object.keys(event)).toEqual(expect.arrayContaining(expected));
      expect(event.sequence_number).toBe(i);
    });
    expect(ours.at(-1)!.response.output[0].content[0].text).toBe(deltas.join(""));
  });

  it("closes reasoning before text and keeps parallel tool calls apart", () => {
    const events = run([
      { type: "reasoning", delta: "think" },
      { type: "text", delta: "Let me call." },
      { type: "tool_call_start", index: 0, id: "call_a", name: "a" },
      { type: "tool_call_start", index: 1, id: "call_b", name: "b" },
      { type: "tool_call_delta", index: 0, delta: '{"x":' },
      { type: "tool_call_delta", index: 1, delta: "{}" },
      { type: "tool_call_delta", index: 0, delta: "1}" },
      { type: "usage", usage: { inputTokens: 3, outputTokens: 4, reasoningTokens: 1 } },
      { type: "finish", reason: "tool_calls" },
    ]);
    const done = events.at(-1)!;
    expect(done.type).toBe("response.completed");
    expect(done.response.output.map((o: any) => [o.type, o.status])).toEqual([
      ["reasoning", "completed"],
      ["message", "completed"],
      ["function_call", "completed"],
      ["function_call", "completed"],
    ]);
    expect(done.response.output[2]).toMatchObject({ call_id: "call_a", name: "a", arguments: '{"x":1}' });
    expect(done.response.output[3]).toMatchObject({ call_id: "call_b", arguments: "{}" });
    expect(done.response.usage).toEqual({
      input_tokens: 3,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 7,
    });
    const argDeltas = events.filter((e) => e.type === "response.function_call_arguments.delta").map((e) => [e.output_index, e.delta]);
    expect(argDeltas).toEqual([
      [2, '{"x":'],
      [3, "{}"],
      [2, "1}"],
    ]);
  });

  it("skips empty deltas, ends a call without arguments, and an empty answer still completes", () => {
    expect(run([{ type: "text", delta: "" }]).map((e) => e.type)).toEqual(["response.created", "response.in_progress", "response.completed"]);
    const events = run([{ type: "tool_call_start", index: 0, id: "c", name: "noargs" }]);
    expect(events.find((e) => e.type === "response.function_call_arguments.done")).toMatchObject({ arguments: "", name: "noargs" });
  });

  it("ends a truncated answer as incomplete, and a broken one as failed with what was sent", () => {
    const cut = run([
      { type: "text", delta: "abc" },
      { type: "finish", reason: "length" },
    ]);
    expect(cut.at(-1)).toMatchObject({ type: "response.incomplete", response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } });
    const failed = run([{ type: "text", delta: "abc" }], (e) => e.fail(502, "stream_interrupted", "provider went away"));
    expect(failed.at(-1)).toMatchObject({
      type: "response.failed",
      response: { status: "failed", error: { code: "server_error", message: "provider went away (stream_interrupted)" }, output: [{ status: "incomplete" }] },
    });
  });

  it("names a namespaced tool's call with its namespace, as OpenAI does", () => {
    const names = new Map([["agents__spawn", { namespace: "agents", name: "spawn" }]]);
    const events = run([{ type: "tool_call_start", index: 0, id: "c", name: "agents__spawn" }], undefined, names);
    expect(events.find((e) => e.type === "response.output_item.done")!.item).toMatchObject({ type: "function_call", namespace: "agents", name: "spawn" });
  });

  it("does not change events already written when the response changes later", () => {
    const events = run([{ type: "text", delta: "a" }]);
    expect(events[0]!.response.output).toEqual([]);
    expect(events[0]!.response.status).toBe("in_progress");
  });
});
