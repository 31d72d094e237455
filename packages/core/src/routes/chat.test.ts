/**
 * POST /v1/chat/completions through the canonical model, with the official `openai` SDK: several answers (`n`) and
 * logprobs from a Gemini-shaped upstream, streamed and not; Anthropic's parallel-tool and thinking settings; the
 * parameters a family cannot take refused by their Chat Completions names; an `openai` provider served natively.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, sendSse, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { scriptedOpenAI, startScriptedAnthropic, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

/** A Gemini that answers `candidateCount` candidates, each "answer <i>" in two pieces, with logprobs when asked. */
function candidatesGemini(): Promise<FakeServer> {
  return startFakeServer((req, res, body) => {
    const n = body.generationConfig?.candidateCount ?? 1;
    const top = body.generationConfig?.logprobs ?? 0;
    const logprobs = (token: string, lp: number) =>
      body.generationConfig?.responseLogprobs
        ? {
            logprobsResult: {
              chosenCandidates: [{ token, logProbability: lp }],
              topCandidates: [{ candidates: [{ token, logProbability: lp }, ...(top > 1 ? [{ token: "other", logProbability: -9 }] : [])] }],
            },
          }
        : {};
    const piece = (i: number, text: string, lp: number, finish?: string) => ({
      index: i,
      content: { role: "model", parts: [{ text }] },
      ...logprobs(text, lp),
      ...(finish ? { finishReason: finish } : {}),
    });
    const usageMetadata = { promptTokenCount: 5, candidatesTokenCount: 4 * n, totalTokenCount: 5 + 4 * n };
    const indices = [...Array(n).keys()];
    if (!req.url?.includes("streamGenerateContent")) {
      const candidates = indices.map((i) => ({ ...piece(i, `answer ${i}`, -0.25, "STOP") }));
      if (body.generationConfig?.responseLogprobs) {
        for (const [i, c] of candidates.entries()) {
          Object.assign(c, {
            logprobsResult: {
              chosenCandidates: [
                { token: "answer", logProbability: -0.25 },
                { token: ` ${i}`, logProbability: -0.5 },
              ],
              topCandidates: [{ candidates: [{ token: "answer", logProbability: -0.25 }] }, { candidates: [{ token: ` ${i}`, logProbability: -0.5 }] }],
            },
          });
        }
      }
      return sendJson(res, 200, { candidates, usageMetadata, modelVersion: "gemini-fake" });
    }
    return sendSse(res, [
      { data: JSON.stringify({ candidates: indices.map((i) => piece(i, "answer", -0.25)), modelVersion: "gemini-fake" }) },
      { data: JSON.stringify({ candidates: indices.map((i) => piece(i, ` ${i}`, -0.5, "STOP")), usageMetadata, modelVersion: "gemini-fake" }) },
    ]);
  });
}

let ge: FakeServer, an: FakeServer, oa: FakeServer, gw: TestGateway;
beforeAll(async () => {
  [ge, an, oa] = await Promise.all([candidatesGemini(), startScriptedAnthropic("AN"), startScriptedOpenAI("OA")]);
  gw = await startTestGateway(`providers:
  - { id: ge, type: gemini, base_url: "${ge.url}/v1beta", api_key: g-secret, models: [m] }
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: sk-ant-secret, models: [m] }
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m] }
`);
});
afterAll(async () => {
  await gw.close();
  await Promise.all([ge.close(), an.close(), oa.close()]);
});

const client = (provider: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "none", defaultHeaders: { "x-interference-provider": provider } });
const user = [{ role: "user" as const, content: "hello" }];

describe("several answers and logprobs from a translating provider", () => {
  it("answers n choices with their logprobs, as the SDK types them", async () => {
    const r = await client("ge").chat.completions.create({ model: "m", messages: user, n: 2, logprobs: true, top_logprobs: 1 });
    expect(ge.requests.at(-1)!.body.generationConfig).toMatchObject({ candidateCount: 2, responseLogprobs: true, logprobs: 1 });
    expect(r.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, "answer 0", "stop"],
      [1, "answer 1", "stop"],
    ]);
    expect(r.choices[1]!.logprobs!.content).toEqual([
      {
        token: "answer",
        logprob: -0.25,
        bytes: [...Buffer.from("answer")],
        top_logprobs: [{ token: "answer", logprob: -0.25, bytes: [...Buffer.from("answer")] }],
      },
      { token: " 1", logprob: -0.5, bytes: [32, 49], top_logprobs: [{ token: " 1", logprob: -0.5, bytes: [32, 49] }] },
    ]);
    expect(r.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 8 });
    expect(r.model).toBe("gemini-fake");
  });

  it("streams n choices apart, each with its role, text, logprobs and finish", async () => {
    const stream = await client("ge").chat.completions.create({
      model: "m",
      messages: user,
      n: 3,
      logprobs: true,
      top_logprobs: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const text = ["", "", ""];
    const tokens: string[][] = [[], [], []];
    const finishes: Array<string | null> = [null, null, null];
    const roles: number[] = [];
    let usage = null;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        if (c.delta.role) roles.push(c.index);
        text[c.index] += c.delta.content ?? "";
        for (const t of c.logprobs?.content ?? []) {
          tokens[c.index]!.push(t.token);
          expect(t.top_logprobs.map((a) => a.token)).toEqual([t.token, "other"]);
        }
        finishes[c.index] = c.finish_reason ?? finishes[c.index]!;
      }
    }
    expect(text).toEqual(["answer 0", "answer 1", "answer 2"]);
    expect(tokens).toEqual([
      ["answer", " 0"],
      ["answer", " 1"],
      ["answer", " 2"],
    ]);
    expect(finishes).toEqual(["stop", "stop", "stop"]);
    expect(roles.sort()).toEqual([0, 1, 2]);
    expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 });
  });
});

describe("a family's own settings, reached from Chat Completions", () => {
  it("holds Anthropic to one tool call with parallel_tool_calls: false, and thinks on reasoning_effort", async () => {
    const r = await client("an").chat.completions.create({
      model: "m",
      messages: user,
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }],
      parallel_tool_calls: false,
      reasoning_effort: "low",
    });
    const sent = an.requests.at(-1)!.body;
    expect(sent.tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true });
    expect(sent.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(r.choices[0]!.message.tool_calls![0]).toMatchObject({ type: "function", function: { name: "lookup" } });
    expect((r.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe("pondering deeply");
  });

  it("takes parallel_tool_calls: true on Gemini (the default everywhere), and refuses false by name", async () => {
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters: { type: "object", properties: {} } } }];
    const r = await client("ge").chat.completions.create({ model: "m", messages: user, tools, parallel_tool_calls: true });
    expect(r.choices[0]!.message.content).toBe("answer 0");
    const err = await client("ge")
      .chat.completions.create({ model: "m", messages: user, tools, parallel_tool_calls: false })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: "unsupported_parameter", param: "parallel_tool_calls" });
  });

  it("refuses what Anthropic cannot do by the parameter's Chat Completions name", async () => {
    for (const [extra, param] of [
      [{ n: 2 }, "n"],
      [{ logprobs: true }, "logprobs"],
      [{ seed: 3 }, "seed"],
      [{ max_completion_tokens: 5, frequency_penalty: 1 }, "frequency_penalty"],
      [{ logit_bias: { "1": 1 } }, "logit_bias"],
    ] as const) {
      const err = await client("an")
        .chat.completions.create({ model: "m", messages: user, ...extra })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: "unsupported_parameter", param });
    }
  });

  it("drops them with drop_params, and still answers", async () => {
    const r = await client("an").chat.completions.create({ model: "m", messages: user, n: 2, seed: 3, drop_params: true } as never);
    expect(r.choices).toHaveLength(1);
    expect(an.requests.at(-1)!.body).not.toHaveProperty("seed");
  });
});

describe("an openai provider is served natively", () => {
  it("forwards every field as sent, next month's included, and relays the answer", async () => {
    const r = await client("oa").chat.completions.create({
      model: "m",
      messages: user,
      n: 2,
      logit_bias: { "42": 1 },
      prompt_cache_key: "k",
      brand_new_field: { x: 1 },
    } as never);
    // Nothing needed changing: the client's own bytes (routes/native-bytes.ts), with no `stream: false` added.
    const sent = oa.requests.at(-1)!.body;
    expect(sent).toEqual({ model: "m", messages: user, n: 2, logit_bias: { "42": 1 }, prompt_cache_key: "k", brand_new_field: { x: 1 } });
    expect(r.choices[0]!.message.content).toBe("OA heard: user:hello");
    expect((r as unknown as { provider: string }).provider).toBe("oa");
  });

  it("relays a native stream's chunks as the provider wrote them, named with the gateway's provider", async () => {
    // Spacing and member order of the provider's own: kept byte for byte, the provider's name added at the end.
    const first = `{ "id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}] }`;
    const named = JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      provider: "elsewhere",
      choices: [{ index: 0, delta: { content: "lo" }, finish_reason: "stop" }],
    });
    const usage = JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    oa.handle((_q, res) => sendSse(res, [{ data: first }, { data: named }, { data: usage }, { data: "[DONE]" }]));
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-interference-provider": "oa" },
        body: JSON.stringify({ model: "m", messages: user, stream: true, stream_options: { include_usage: true } }),
      });
      const events = (await res.text()).split("\n\n").filter(Boolean);
      expect(events[0]).toBe(`data: ${first.slice(0, -1)},"provider":"oa"}`);
      // A chunk that names a provider already is rewritten, so the name appears once: the gateway's.
      expect(events[1]!.match(/"provider"/g)).toHaveLength(1);
      expect(JSON.parse(events[1]!.slice(6))).toMatchObject({ provider: "oa", choices: [{ delta: { content: "lo" } }] });
      // The usage chunk carries what it cost (the gateway's addition), so it is serialised anew.
      expect(JSON.parse(events[2]!.slice(6))).toMatchObject({ provider: "oa", usage: { prompt_tokens: 3, completion_tokens: 2 } });
      expect(events.at(-1)).toBe("data: [DONE]");
      // And the official SDK reads it as usual.
      const stream = await client("oa").chat.completions.create({ model: "m", messages: user, stream: true });
      let text = "";
      for await (const chunk of stream) {
        expect((chunk as unknown as { provider: string }).provider).toBe("oa");
        text += chunk.choices[0]?.delta?.content ?? "";
      }
      expect(text).toBe("Hello");
    } finally {
      oa.handle(scriptedOpenAI("OA"));
    }
  });

  it("fails over from a native provider to a translating one before any content", async () => {
    oa.handle((_q, res) => void res.writeHead(503).end("{}"));
    try {
      const r = await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "none", maxRetries: 0 }).chat.completions.create({
        model: "m",
        messages: user,
        provider: "oa ge",
      } as never);
      expect((r as unknown as { provider: string }).provider).toBe("ge");
      expect(r.choices[0]!.message.content).toBe("answer 0");
    } finally {
      oa.handle(scriptedOpenAI("OA"));
    }
  });
});
