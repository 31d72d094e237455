import { describe, expect, it } from "vitest";
import type { GatewayHttpRequest } from "../http/types.js";
import { seededRandom } from "../test-support/random.js";
import { readJsonBody, sourceOf, topLevelMembers } from "./body.js";

describe("readJsonBody", () => {
  it("keeps the body's bytes, its members as parsed and how many its text has", async () => {
    const bytes = Buffer.from('{"model":"m","messages":[{"role":"user","content":"a,b"}],"model":"n"}');
    const body = await readJsonBody({ headers: {}, readBody: async () => bytes } as unknown as GatewayHttpRequest, 1 << 20);
    expect(body).toEqual({ model: "n", messages: [{ role: "user", content: "a,b" }] });
    // Out of sight of key listings and encodings: only sourceOf sees it.
    expect(Object.getOwnPropertySymbols(body)).toHaveLength(1);
    expect(JSON.stringify(body)).toBe('{"model":"n","messages":[{"role":"user","content":"a,b"}]}');
    expect({ ...body }).toEqual(body);
    expect(sourceOf({ ...body })).toBeUndefined();
    const source = sourceOf(body)!;
    expect(source.bytes).toBe(bytes);
    expect(source.members).toEqual(body);
    expect(source.written).toBe(3);
  });
});

describe("topLevelMembers", () => {
  it("counts members as written, skipping strings whole", () => {
    expect(topLevelMembers("{}")).toBe(0);
    expect(topLevelMembers(' { "a" : 1 } ')).toBe(1);
    expect(topLevelMembers('{"a":"x,y}{\\"","b":[1,{"c":[2,3]}],"d":{"e":"\\\\"},"f":"\\\\\\"]"}')).toBe(4);
    expect(topLevelMembers('{"a":1,"a":2}')).toBe(2);
  });

  it("agrees with JSON.parse on generated objects (and sees every repeat)", () => {
    const rnd = seededRandom(27);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const strings = ["", ",", "}", "]", "{[", '"', "\\", '\\"', "日本", "\u2028", "a,b", "\\\\"];
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth > 3 || r < 0.4) return pick([1, -2.5e10, true, null, pick(strings) + pick(strings)]);
      if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [pick(strings) + i, value(depth + 1)]));
    };
    for (let i = 0; i < 2000; i++) {
      const obj = value(0);
      const top = obj && typeof obj === "object" && !Array.isArray(obj) ? obj : { k: obj };
      const text = JSON.stringify(top, null, rnd() < 0.3 ? 2 : undefined);
      expect(topLevelMembers(text), text).toBe(Object.keys(top).length);
      if (Object.keys(top).length) {
        // The first member written again at the end: one more member in the text than keys in the object.
        const first = text.slice(text.indexOf("{") + 1, text.lastIndexOf("}")).trim();
        const member = JSON.stringify(Object.keys(top)[0]) + ":" + JSON.stringify(Object.values(top)[0]);
        const repeated = `{${first},${member}}`;
        expect(topLevelMembers(repeated), repeated).toBe(Object.keys(JSON.parse(repeated)).length + 1);
        expect(first.length).toBeGreaterThan(0);
      }
    }
  });
});
