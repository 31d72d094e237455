import { describe, expect, it } from "vitest";
import { decodeFlow, domainAllowed, encodeFlow, groupsOf, roleFromGroups, ssoFetch, ssoSettingsSchema } from "./sso";

const settings = ssoSettingsSchema.parse({
  issuer: "https://idp.example.com",
  client_id: "gateway",
  allowed_domains: ["Example.com"],
  role_mappings: [
    { group: "gw-admins", role: "admin" },
    { group: "gw-viewers", role: "viewer" },
    { group: "search-leads", role: "team", team: "Search", team_role: "lead" },
    { group: "search", role: "team", team: "Search" },
    { group: "ads", role: "team", team: "Ads" },
    { group: "ghosts", role: "team", team: "No such team" },
  ],
});
const teams = new Map([
  ["Search", "team_s"],
  ["Ads", "team_a"],
]);

describe("SSO group mapping", () => {
  it("gives the most powerful role a person's groups map to", () => {
    expect(roleFromGroups(settings, ["gw-viewers", "gw-admins"], teams)).toEqual({ role: "admin", teams: [] });
    expect(roleFromGroups(settings, ["gw-viewers"], teams)).toEqual({ role: "viewer", teams: [] });
  });

  it("gathers team places, lead over member, and skips a team that does not exist", () => {
    expect(roleFromGroups(settings, ["search", "search-leads", "ads"], teams)).toEqual({
      role: "team",
      teams: [
        { id: "team_s", role: "lead" },
        { id: "team_a", role: "member" },
      ],
    });
    expect(roleFromGroups(settings, ["ghosts"], teams)).toBeNull();
  });

  it("maps nothing for groups it does not know: no access", () => {
    expect(roleFromGroups(settings, ["everyone"], teams)).toBeNull();
    expect(roleFromGroups(settings, [], teams)).toBeNull();
  });

  it("reads groups from a list or a single string, ignoring anything else", () => {
    expect(groupsOf({ groups: ["a", 1, "b"] }, "groups")).toEqual(["a", "b"]);
    expect(groupsOf({ roles: "a" }, "roles")).toEqual(["a"]);
    expect(groupsOf({ groups: { a: 1 } }, "groups")).toEqual([]);
  });

  it("allows the listed email domains only (any when none are listed)", () => {
    expect(domainAllowed(settings, "ann@example.com")).toBe(true);
    expect(domainAllowed(settings, "ann@example.com.evil.net")).toBe(false);
    expect(domainAllowed(settings, "ann@sub.example.com")).toBe(false);
    expect(domainAllowed({ allowed_domains: [] }, "x@anything.org")).toBe(true);
  });

  it("refuses settings it cannot use, naming the field", () => {
    const bad = ssoSettingsSchema.safeParse({ issuer: "ftp://idp", client_id: "", role_mappings: [{ group: "g", role: "root" }] });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["issuer", "client_id", "role_mappings.0.role"]));
  });

  it("keeps the sign-in flow in a cookie that a tampered or foreign value cannot fake into shape", () => {
    const flow = { verifier: "v", state: "s", nonce: "n", invite: "i" };
    expect(decodeFlow(encodeFlow(flow))).toEqual(flow);
    expect(decodeFlow("not base64 json")).toBeNull();
    expect(decodeFlow(Buffer.from(JSON.stringify({ state: "s" })).toString("base64url"))).toBeNull();
    expect(decodeFlow(undefined)).toBeNull();
  });
});

describe("the fetch for a dashboard-set issuer", () => {
  // The guard's decisions, made before any connection: nothing is sent to these addresses.
  it("refuses an internal address written in the URL, and a name that resolves to one", async () => {
    const guarded = ssoFetch(false);
    const get = (url: string) => guarded(url, { method: "GET", headers: {}, body: undefined, redirect: "manual", signal: undefined } as never);
    for (const url of ["http://127.0.0.1:5/.well-known/openid-configuration", "http://[::1]:5/x", "http://169.254.169.254/latest", "http://10.1.2.3/x"]) {
      await expect(get(url), url).rejects.toThrow(/internal address/);
    }
    const named = await get("http://localhost:5/x").catch((err: Error) => err);
    expect(String((named as Error & { cause?: Error }).cause?.message)).toMatch(/localhost resolves to .*, an internal address/);
    await expect(get("file:///etc/passwd")).rejects.toThrow(/refused to fetch a file: URL/);
  });
});
