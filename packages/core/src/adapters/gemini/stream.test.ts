import { describe, expect, it } from "vitest";
import { GeminiStreamTranslator } from "./stream.js";
import type { GeminiResponse } from "./wire.js";
import type { StreamPart } from "../../canonical/types.js";

const textOf = (parts: StreamPart[], choice: number) => parts.map((p) => (p.type === "text" && (p.choice ?? 0) === choice ? p.delta : "")).join("");

describe("GeminiStreamTranslator with n > 1", () => {
  it("keeps every candidate, each under its own choice with its own finish", () => {
    const t = new GeminiStreamTranslator();
    const events: GeminiResponse[] = [
      {
        candidates: [
          { index: 0, content: { role: "model", parts: [{ text: "Hel" }] } },
          { index: 1, content: { role: "model", parts: [{ text: "Bon" }] } },
        ],
        modelVersion: "gemini-2.5-flash",
      },
      { candidates: [{ index: 1, content: { role: "model", parts: [{ text: "jour" }] }, finishReason: "STOP" }] },
      {
        candidates: [{ index: 0, content: { role: "model", parts: [{ text: "lo" }] }, finishReason: "MAX_TOKENS" }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 },
      },
    ] as GeminiResponse[];
    const parts = events.flatMap((e) => t.translate(e));
    expect(t.finished).toBe(true);
    parts.push(...t.end());
    expect(parts[0]).toEqual({ type: "model", model: "gemini-2.5-flash" });
    expect(textOf(parts, 0)).toBe("Hello");
    expect(textOf(parts, 1)).toBe("Bonjour");
    expect(parts.filter((p) => p.type === "finish")).toEqual([
      { type: "finish", reason: "length" },
      { type: "finish", reason: "stop", choice: 1 },
    ]);
    expect(parts.at(-1)).toEqual({ type: "usage", usage: { inputTokens: 3, outputTokens: 4 } });
  });

  it("is not finished while one candidate is still going", () => {
    const t = new GeminiStreamTranslator();
    t.translate({
      candidates: [
        { index: 0, content: { role: "model", parts: [{ text: "a" }] }, finishReason: "STOP" },
        { index: 1, content: { role: "model", parts: [{ text: "b" }] } },
      ],
    } as GeminiResponse);
    expect(t.finished).toBe(false);
  });

  it("turns each chunk's logprobs into a logprobs part, the chosen token with its alternatives", () => {
    const t = new GeminiStreamTranslator();
    const parts = t.translate({
      candidates: [
        {
          index: 0,
          content: { role: "model", parts: [{ text: "Hi" }] },
          logprobsResult: {
            chosenCandidates: [{ token: "Hi", logProbability: -0.1 }],
            topCandidates: [
              {
                candidates: [
                  { token: "Hi", logProbability: -0.1 },
                  { token: "Hello", logProbability: -2.5 },
                ],
              },
            ],
          },
        },
      ],
    } as GeminiResponse);
    expect(parts).toEqual([
      { type: "text", delta: "Hi" },
      {
        type: "logprobs",
        tokens: [
          {
            token: "Hi",
            logprob: -0.1,
            top: [
              { token: "Hi", logprob: -0.1 },
              { token: "Hello", logprob: -2.5 },
            ],
          },
        ],
      },
    ]);
  });
});
