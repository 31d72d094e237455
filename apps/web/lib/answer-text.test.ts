import { describe, expect, it } from "vitest";
import { answerText, replayPath } from "./answer-text";

describe("an answer's text", () => {
  it("reads Chat Completions, Responses and Messages answers", () => {
    expect(answerText({ choices: [{ message: { content: "chat" } }] })).toBe("chat");
    expect(
      answerText({
        output: [
          { type: "reasoning", content: [] },
          {
            type: "message",
            content: [
              { type: "output_text", text: "resp" },
              { type: "output_text", text: "onses" },
            ],
          },
        ],
      }),
    ).toBe("responses");
    expect(answerText({ content: [{ type: "text", text: "mess" }, { type: "tool_use" }, { type: "text", text: "ages" }] })).toBe("messages");
    expect(answerText({ error: { message: "x" } })).toBeNull();
    expect(answerText("not an object")).toBeNull();
  });

  it("finds the API a logged route was served on", () => {
    expect(replayPath("/v1/chat/completions")).toBe("/v1/chat/completions");
    expect(replayPath("/api/anthropic/messages")).toBe("/v1/messages");
    expect(replayPath("/v1/responses")).toBe("/v1/responses");
    expect(replayPath("/v1/embeddings")).toBeNull();
    expect(replayPath("/v1/responses/resp_1")).toBeNull();
  });
});
