import { describe, expect, it } from "vitest";
import { toChatHistory } from "./to-history.js";

describe("toChatHistory", () => {
  it("maps roles and ends with the model turn to complete", () => {
    expect(
      toChatHistory([
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Hi" }] },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Again" },
      ]),
    ).toEqual([
      { type: "system", text: "Be brief." },
      { type: "user", text: "Hi" },
      { type: "model", response: ["Hello"] },
      { type: "user", text: "Again" },
      { type: "model", response: [] },
    ]);
  });

  it("refuses images with a 400 naming messages", () => {
    expect(() => toChatHistory([{ role: "user", content: [{ type: "image_url", image_url: { url: "data:," } }] }])).toThrow(/text only/);
  });
});
