import { describe, expect, it } from "vitest";
import { endUserOf, tagsOf } from "./attribution.js";

describe("end user and tags of a request", () => {
  it("takes the end user from user, safety_identifier or Anthropic's metadata.user_id, in that order", () => {
    expect(endUserOf({ user: " u-1 ", safety_identifier: "s" })).toBe("u-1");
    expect(endUserOf({ safety_identifier: "hash-9" })).toBe("hash-9");
    expect(endUserOf({ metadata: { user_id: "ant-3" } })).toBe("ant-3");
    expect(endUserOf({ user: 42, metadata: null })).toBeNull();
    expect(endUserOf({ user: "x".repeat(1000) })).toHaveLength(256);
  });

  it("takes tags from the header and the metadata pairs, bounded and without repeats", () => {
    expect(tagsOf("search, batch ,search,", { feature: "summaries", user_id: "u", n: 3, nested: { a: 1 } })).toEqual([
      "search",
      "batch",
      "feature:summaries",
      "n:3",
    ]);
    expect(tagsOf(undefined, undefined)).toBeNull();
    expect(tagsOf(" , ")).toBeNull();
    expect(tagsOf(Array.from({ length: 50 }, (_, i) => `t${i}`).join(","))).toHaveLength(20);
    expect(tagsOf("y".repeat(500))![0]).toHaveLength(100);
    expect(tagsOf(["a,b", "c"])).toEqual(["a", "b", "c"]);
  });
});
