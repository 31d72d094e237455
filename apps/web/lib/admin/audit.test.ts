import { describe, expect, it } from "vitest";
import { auditChanges } from "./audit";

describe("auditChanges", () => {
  it("lists the fields that changed by dotted path, leaving out the ones that did not", () => {
    expect(
      auditChanges(
        { name: "a", timeouts: { connect_ms: 1, idle_ms: 5 }, models: ["x"] },
        { name: "b", timeouts: { connect_ms: 2, idle_ms: 5 }, models: ["x", "y"] },
      ),
    ).toEqual({ name: { before: "a", after: "b" }, "timeouts.connect_ms": { before: 1, after: 2 }, models: { before: ["x"], after: ["x", "y"] } });
    expect(auditChanges({ a: 1 }, { a: 1 })).toBeNull();
    expect(auditChanges(null, { id: "k", expiresAt: new Date("2027-01-01T00:00:00Z") })).toEqual({
      id: { before: null, after: "k" },
      expiresAt: { before: null, after: "2027-01-01T00:00:00.000Z" },
    });
  });

  it("shows a secret as changed by its field's name, never its value", () => {
    const changes = auditChanges(
      { api_key: "sk-old-secret-1", headers: { Authorization: "Bearer old-token-1", "x-team": "a" }, passwordHash: "scrypt$a$b" },
      { api_key: "sk-new-secret-2", headers: { Authorization: "Bearer new-token-2", "x-team": "a" }, passwordHash: "scrypt$c$d" },
    );
    expect(changes).toEqual({
      api_key: { before: "(secret)", after: "(changed)" },
      "headers.Authorization": { before: "(secret)", after: "(changed)" },
      passwordHash: { before: "(secret)", after: "(changed)" },
    });
    expect(auditChanges({ api_key: null }, { api_key: "sk-set-now" })).toEqual({ api_key: { before: null, after: "(changed)" } });
  });

  it("scrubs a known secret out of any other field it was pasted into", () => {
    const changes = auditChanges({ settings: "{}" }, { settings: '{"note":"key is sk-live-abcdef123"}' }, ["sk-live-abcdef123", "tiny"]);
    expect(JSON.stringify(changes)).not.toContain("sk-live-abcdef123");
    expect(changes?.settings?.after).toBe('{"note":"key is (secret)"}');
  });
});
