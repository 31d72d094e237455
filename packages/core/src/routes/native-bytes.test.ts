import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EncodedJson } from "../adapters/types.js";
import type { GatewayHttpRequest } from "../http/types.js";
import type { FakeServer } from "../test-support/fake-server.js";
import { startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { takeRoutingChoice } from "../routing/policy.js";
import { readJsonBody } from "./body.js";
import { encodedIfUnchanged } from "./native-bytes.js";
import { nativeBody } from "./native.js";

const parse = (text: string) =>
  readJsonBody({ headers: { "content-type": "application/json" }, readBody: async () => Buffer.from(text) } as unknown as GatewayHttpRequest, 1 << 20);

const sent = (body: unknown) => (body instanceof EncodedJson ? body.bytes.toString("utf8") : null);

describe("encodedIfUnchanged", () => {
  it("sends the client's own bytes when nothing changed, spacing and key order kept", async () => {
    const text = ' {"messages": [{"role":"user","content":"héllo, {world} \\"q\\""}],\n "model":"m" }\n';
    const raw = await parse(text);
    const body = encodedIfUnchanged(raw, nativeBody(raw, "m", false));
    expect(sent(body)).toBe(text);
  });

  it("encodes the object when the provider's model id differs, or the body was not read from a request", async () => {
    const raw = await parse('{"model":"alias","messages":[]}');
    expect(encodedIfUnchanged(raw, nativeBody(raw, "real-id", false))).toEqual({ model: "real-id", messages: [], stream: false });
    const built = { model: "m", messages: [] };
    expect(encodedIfUnchanged(built, nativeBody(built, "m"))).toEqual(built);
  });

  it("never sends a text that names a key twice, however the second is spelled", async () => {
    for (const text of [
      '{"model":"cheap","messages":[],"model":"m"}',
      '{"\\u006dodel":"expensive","model":"m","messages":[]}',
      '{"model":"m","messages":[],"max_tokens":1,"max_tokens":1}',
    ]) {
      const raw = await parse(text);
      const body = encodedIfUnchanged(raw, nativeBody(raw, "m", false));
      expect(body, text).not.toBeInstanceOf(EncodedJson);
      expect(body).toMatchObject({ model: "m" });
    }
  });

  it("encodes the object when a member was taken off, replaced or reassigned after parsing", async () => {
    // The gateway's own fields, taken off by the routing choice: its copy has no source.
    const withProvider = await parse('{"model":"m","provider":"a b","messages":[]}');
    const { body: rest } = takeRoutingChoice(withProvider, {});
    expect(encodedIfUnchanged(rest, nativeBody(rest, "m", false))).toEqual({ model: "m", messages: [], stream: false });
    // drop_params, which nativeBody leaves out.
    const drop = await parse('{"model":"m","drop_params":true}');
    expect(encodedIfUnchanged(drop, nativeBody(drop, "m", false))).not.toBeInstanceOf(EncodedJson);
    // The response cache's field, deleted in place.
    const cached = await parse('{"model":"m","cache":false}');
    delete cached.cache;
    expect(encodedIfUnchanged(cached, nativeBody(cached, "m", false))).toEqual({ model: "m", stream: false });
    // A member given a new value in place.
    const reassigned = await parse('{"model":"m","messages":[{"role":"user","content":"a"}]}');
    reassigned.messages = [];
    expect(encodedIfUnchanged(reassigned, nativeBody(reassigned, "m", false))).toEqual({ model: "m", messages: [], stream: false });
  });

  it("appends what the gateway adds, before the closing brace, in bytes (multi-byte text, trailing space)", async () => {
    const text = '{"model":"m","stream":true,"messages":[{"role":"user","content":"日本語 } ✓"}]}  \n';
    const raw = await parse(text);
    const body = { ...nativeBody(raw, "m", true), stream_options: { include_usage: true } };
    const out = sent(encodedIfUnchanged(raw, body));
    expect(out).toBe('{"model":"m","stream":true,"messages":[{"role":"user","content":"日本語 } ✓"}],"stream_options":{"include_usage":true}}  \n');
    expect(JSON.parse(out!)).toEqual(body);
    // stream: false is every API's default: left out rather than appended.
    const plain = await parse('{"model":"m"}');
    expect(sent(encodedIfUnchanged(plain, nativeBody(plain, "m", false)))).toBe('{"model":"m"}');
    // stream: true where the client sent false is a change.
    const off = await parse('{"model":"m","stream":false}');
    expect(encodedIfUnchanged(off, nativeBody(off, "m", true))).not.toBeInstanceOf(EncodedJson);
  });
});

describe("native passthrough sends the client's bytes", () => {
  let up: FakeServer;
  let gw: TestGateway;
  beforeAll(async () => {
    up = await startScriptedOpenAI("UP");
    gw = await startTestGateway(
      `providers:\n  - { id: up, type: openai, base_url: "${up.url}", api_key: sk-test, models: [m, { id: alias, upstream: real-m }] }\n`,
    );
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });
  const post = (text: string) => fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: text });

  it("as they came when nothing changes, and re-encoded when something does", async () => {
    const text = '{ "model": "m",\n  "messages": [{"role": "user", "content": "héllo"}], "temperature": 0.5 }';
    expect((await post(text)).status).toBe(200);
    expect(up.requests.at(-1)!.text).toBe(text);

    // The routing choice is the gateway's: the provider never sees it.
    expect((await post('{"model":"m","provider":"up","messages":[{"role":"user","content":"x"}]}')).status).toBe(200);
    expect(up.requests.at(-1)!.body).toEqual({ model: "m", messages: [{ role: "user", content: "x" }], stream: false });

    // A model the provider knows by another id.
    expect((await post('{"model":"alias","messages":[{"role":"user","content":"x"}]}')).status).toBe(200);
    expect(up.requests.at(-1)!.body.model).toBe("real-m");

    // A repeated key: the provider gets one model, the one routed.
    expect((await post('{"model":"other","messages":[{"role":"user","content":"x"}],"model":"m"}')).status).toBe(200);
    expect(up.requests.at(-1)!.text).toBe('{"model":"m","messages":[{"role":"user","content":"x"}],"stream":false}');
  });

  it("a stream's usage request appended to the client's bytes", async () => {
    const text = '{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}';
    const res = await post(text);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("[DONE]");
    expect(up.requests.at(-1)!.text).toBe('{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}');
  });
});

describe("with the response cache on", () => {
  let up: FakeServer;
  let gw: TestGateway;
  beforeAll(async () => {
    up = await startScriptedOpenAI("UP");
    gw = await startTestGateway(`cache: { enabled: true }\nproviders:\n  - { id: up, type: openai, base_url: "${up.url}", api_key: sk-test, models: [m] }\n`);
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });

  it("the provider reads exactly the body the answer is kept under, not the client's bytes", async () => {
    // A key repeated inside a message: the cache keys on the last content; a parser that takes the first would
    // answer another prompt, and that answer would then be served for this one.
    const text = '{"model":"m","messages":[{"role":"user","content":"first","content":"second"}]}';
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-interference-cache")).toBe("miss");
    expect(up.requests.at(-1)!.text).toBe('{"model":"m","messages":[{"role":"user","content":"second"}],"stream":false}');
    // A request that turns the cache off: its `cache` field is the gateway's, taken off before the provider.
    const off = '{"model":"m","cache":false,"messages":[{"role":"user","content":"x"}]}';
    await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: off });
    expect(up.requests.at(-1)!.body).toEqual({ model: "m", messages: [{ role: "user", content: "x" }], stream: false });
  });
});
