import { describe, expect, it } from "vitest";
import { decodeChatRequest } from "../apis/chat-completions/decode-request.js";
import { decodeMessagesRequest } from "../apis/messages/decode-request.js";
import { chatRequestSchema } from "../openai/schema.js";
import { messagesRequestSchema } from "../apis/messages/schema.js";
import { CHAT_CACHE, MESSAGES_CACHE } from "./apis.js";
import { cacheKey, semanticKey, type KeyInput } from "./key.js";

const chat = (raw: Record<string, unknown>): KeyInput => ({
  api: "chat",
  raw,
  canonical: decodeChatRequest(chatRequestSchema.parse(raw)),
  translatedFields: CHAT_CACHE.translatedFields,
});
const messages = (raw: Record<string, unknown>): KeyInput => ({
  api: "messages",
  raw,
  canonical: decodeMessagesRequest(messagesRequestSchema.parse(raw)),
  translatedFields: MESSAGES_CACHE.translatedFields,
});
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ model: "m", messages: [{ role: "user", content }], ...extra });

describe("cacheKey", () => {
  it("is the same for the same question on any API, whatever the stream, user and metadata", () => {
    const key = cacheKey(chat(ask("hi", { max_tokens: 50 })));
    expect(cacheKey(chat(ask("hi", { max_tokens: 50, stream: true, user: "u", metadata: { a: "b" } })))).toBe(key);
    expect(cacheKey(messages(ask("hi", { max_tokens: 50, stream: true })))).toBe(key);
  });

  it("differs with anything that changes the answer", () => {
    const key = cacheKey(chat(ask("hi")));
    for (const other of [
      ask("hi!"),
      ask("hi", { model: "n" }),
      ask("hi", { temperature: 0.5 }),
      ask("hi", { max_tokens: 9 }),
      ask("hi", { response_format: { type: "json_object" } }),
      ask("hi", { tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }] }),
      // A field the decoder does not carry, which a native provider reads.
      ask("hi", { logit_bias: { "42": 5 } }),
      {
        model: "m",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "hi" },
        ],
      },
    ]) {
      expect(cacheKey(chat(other))).not.toBe(key);
    }
  });

  it("keys an undecodable request on its body as sent, for its own API only", () => {
    const raw = ask("hi", { tools: [{ type: "web_search" }] });
    const key = cacheKey({ api: "responses", raw, canonical: null, translatedFields: new Set() });
    expect(cacheKey({ api: "responses", raw: { ...raw, stream: true }, canonical: null, translatedFields: new Set() })).toBe(key);
    expect(cacheKey({ api: "chat", raw, canonical: null, translatedFields: new Set() })).not.toBe(key);
  });

  it("holds the provider choice only when asked to", () => {
    expect(cacheKey({ ...chat(ask("hi")), provider: "a" })).not.toBe(cacheKey({ ...chat(ask("hi")), provider: "b" }));
    expect(cacheKey({ ...chat(ask("hi")), provider: null })).toBe(cacheKey(chat(ask("hi"))));
  });
});

describe("semanticKey", () => {
  it("embeds the last user turn; the rest (system prompt, earlier turns, settings) must match exactly", () => {
    const a = semanticKey(chat(ask("How do I reverse a list?")), "last_user_turn")!;
    const b = semanticKey(chat(ask("What's the way to reverse a list?")), "last_user_turn")!;
    expect(a.text).toBe("How do I reverse a list?");
    expect(a.context).toBe(b.context);
    const system = {
      model: "m",
      messages: [
        { role: "system", content: "Answer in French." },
        { role: "user", content: "How do I reverse a list?" },
      ],
    };
    expect(semanticKey(chat(system), "last_user_turn")!.context).not.toBe(a.context);
    expect(semanticKey(chat(ask("How do I reverse a list?", { max_tokens: 5 })), "last_user_turn")!.context).not.toBe(a.context);
  });

  it("puts the text's literals in the context: prompts naming other numbers are never compared", () => {
    const a = semanticKey(chat(ask("What happened in 1914?")), "last_user_turn")!;
    const b = semanticKey(chat(ask("What took place in 1914?")), "last_user_turn")!;
    const c = semanticKey(chat(ask("What happened in 1915?")), "last_user_turn")!;
    expect(a.context).toBe(b.context);
    expect(c.context).not.toBe(a.context);
  });

  it("with `prompt`, embeds the whole conversation's text, system prompt included", () => {
    const raw = {
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi." },
        { role: "assistant", content: "Hello." },
        { role: "user", content: "Reverse a list?" },
      ],
    };
    const k = semanticKey(chat(raw), "prompt")!;
    expect(k.text).toBe("Be brief.\nHi.\nHello.\nReverse a list?");
    const other = semanticKey(chat({ ...raw, messages: [{ role: "system", content: "Be terse." }, ...raw.messages.slice(1)] }), "prompt")!;
    expect(other.context).toBe(k.context);
  });

  it("has nothing to embed when the last turn is not the user's text", () => {
    const toolTurn = {
      model: "m",
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "42" },
      ],
    };
    expect(semanticKey(chat(toolTurn), "last_user_turn")).toBeNull();
    expect(semanticKey({ ...chat(ask("x")), canonical: null }, "last_user_turn")).toBeNull();
  });
});
