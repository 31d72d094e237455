import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { decodeProviderChoice, NO_POLICY, parseProviderField, takeRoutingChoice } from "./policy.js";

const refusal = (fn: () => unknown): GatewayError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error("did not throw");
};

describe("parseProviderField", () => {
  it("splits on any whitespace and drops duplicates, keeping order", () => {
    expect(parseProviderField("  B  A\tB\nC ")).toEqual(["B", "A", "C"]);
    expect(parseProviderField(undefined)).toEqual([]);
  });
});

describe("decodeProviderChoice", () => {
  it("keeps the string form's meaning: only these, in this order", () => {
    expect(decodeProviderChoice("B A")).toEqual({ ...NO_POLICY, order: ["B", "A"], only: ["B", "A"], source: "B A" });
    expect(decodeProviderChoice("")).toBe(NO_POLICY);
    expect(decodeProviderChoice(undefined)).toBe(NO_POLICY);
  });

  it("reads OpenRouter's provider object", () => {
    const policy = decodeProviderChoice({
      order: ["a", "b", "a"],
      only: ["a", "b", "c"],
      ignore: ["d"],
      allow_fallbacks: false,
      sort: "latency",
      require_parameters: true,
      max_price: { prompt: 1, completion: 2 },
      data_collection: "deny",
    });
    expect(policy).toMatchObject({
      order: ["a", "b"],
      only: ["a", "b", "c"],
      ignore: ["d"],
      allowFallbacks: false,
      sort: "latency",
      requireParameters: true,
      maxPrice: { prompt: 1, completion: 2 },
      dataCollection: "deny",
    });
    expect(JSON.parse(policy.source!)).toMatchObject({ sort: "latency" });
    // allow_fallbacks defaults to true, as on OpenRouter.
    expect(decodeProviderChoice({ order: ["a"] }).allowFallbacks).toBe(true);
  });

  it("400s an unknown field by its name, and a wrong value by its path", () => {
    const unknown = refusal(() => decodeProviderChoice({ order: ["a"], quantizations: ["fp8"] }));
    expect(unknown.status).toBe(400);
    expect(unknown.extra.param).toBe("provider.quantizations");
    expect(unknown.message).toMatch(/Unknown field 'provider.quantizations'.*known: order, only, ignore/);
    const nested = refusal(() => decodeProviderChoice({ max_price: { request: 1 } }));
    expect(nested.extra.param).toBe("provider.max_price.request");
    expect(nested.message).toMatch(/known: prompt, completion/);
    const sort = refusal(() => decodeProviderChoice({ sort: "cheapest" }));
    expect(sort.extra.param).toBe("provider.sort");
    expect(refusal(() => decodeProviderChoice(42)).status).toBe(400);
    expect(refusal(() => decodeProviderChoice(["a"])).status).toBe(400);
  });
});

describe("takeRoutingChoice", () => {
  it("takes provider and models off the body, the body's choice over the header's, the header's over the path's", () => {
    const { body, policy } = takeRoutingChoice({ model: "m", provider: "A", messages: [] }, { header: "B", path: "C" });
    expect(body).toEqual({ model: "m", messages: [] });
    expect(policy.order).toEqual(["A"]);
    expect(takeRoutingChoice({ model: "m" }, { header: "B", path: "C" }).policy.order).toEqual(["B"]);
    expect(takeRoutingChoice({ model: "m" }, { path: "C", query: "D" }).policy.order).toEqual(["C"]);
    expect(takeRoutingChoice({ model: "m" }, { query: "D" }).policy.order).toEqual(["D"]);
    // The same body object when there is nothing to take off: no copy on the hot path.
    const plain = { model: "m" };
    expect(takeRoutingChoice(plain, {}).body).toBe(plain);
  });

  it("reads the provider object from the header as JSON, and 400s JSON that does not parse", () => {
    expect(takeRoutingChoice({}, { header: ' {"sort":"price","ignore":["x"]}' }).policy).toMatchObject({ sort: "price", ignore: ["x"] });
    const bad = refusal(() => takeRoutingChoice({}, { header: "{sort:" }));
    expect(bad.extra.param).toBe("x-interference-provider");
    expect(refusal(() => takeRoutingChoice({}, { header: '{"sortt":"price"}' })).extra.param).toBe("x-interference-provider.sortt");
  });

  it("turns models[] into the model and its fallbacks", () => {
    expect(takeRoutingChoice({ models: ["a", "b"] }, {})).toMatchObject({ body: { model: "a" }, policy: { fallbackModels: ["b"] } });
    expect(takeRoutingChoice({ model: "x", models: ["a", "x", "b"] }, {})).toMatchObject({ body: { model: "x" }, policy: { fallbackModels: ["a", "b"] } });
    expect(refusal(() => takeRoutingChoice({ models: [] }, {})).extra.param).toBe("models");
    expect(refusal(() => takeRoutingChoice({ models: "a" }, {})).extra.param).toBe("models");
  });
});
