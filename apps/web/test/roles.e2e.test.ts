/**
 * Who may call what, against the real server: every admin-API procedure, called by a signed-in owner, admin,
 * viewer, team lead and team member, is refused (403) exactly for the roles the access table (lib/admin/access.ts)
 * leaves out, and every mutation that succeeds writes exactly one audit row naming its caller. The cases come
 * from the table: a procedure the router has and the table lacks fails here, and so does one without a sample.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCESS, ACTORS, type Actor, type Procedure } from "../lib/admin/access";
import { appRouter } from "../lib/trpc/router";
import { startServer, type RunningServer } from "./support/server";
import { newUser, signIn, trpc } from "./support/admin";

const PASSWORD = "owner password for roles";
let server: RunningServer;
const cookies = {} as Record<Actor, string>;
const emails = {} as Record<Actor, string>;
let teamA = "";
let teamB = "";

/** A call each procedure can take: some succeed, some find nothing (404) or are refused for their input (400). */
const SAMPLES: Record<Procedure, { input?: unknown; query?: boolean }> = {
  me: { query: true },
  "providers.list": { query: true },
  "providers.presets": { query: true },
  "providers.setEnabled": { input: { id: "nope", enabled: true } },
  "providers.save": { input: { id: "", type: "openai", base_url: "", api_key: "", models: "", image_models: "", enabled: true, settings: "" } },
  "providers.test": { input: { id: "nope" } },
  "providers.reorder": { input: { ids: null } },
  "providers.remove": { input: { id: "nope" } },
  "routing.get": { query: true },
  "routing.save": { input: { strategy: "priority" } },
  "logs.list": { query: true, input: {} },
  "logs.get": { query: true, input: { id: "nope" } },
  "logs.bodies": { query: true, input: { id: "nope" } },
  overview: { query: true, input: { minutes: 60 } },
  usage: { query: true, input: {} },
  "keys.list": { query: true, input: {} },
  "keys.create": { input: { name: "sample", teamId: "$teamA" } },
  "keys.update": { input: { id: "key_nope", name: "x" } },
  "keys.rotate": { input: { id: "key_nope", graceSeconds: 0 } },
  "keys.revoke": { input: { id: "key_nope" } },
  "cache.settings": { query: true },
  "cache.setModel": { input: { model: "m", enabled: null } },
  "cache.purge": { input: { owner: "key", id: "key_nope" } },
  "teams.list": { query: true },
  "teams.create": { input: { name: "$unique" } },
  "teams.update": { input: { id: "team_nope", name: "x" } },
  "teams.remove": { input: { id: "team_nope" } },
  "users.list": { query: true },
  "users.invite": { input: { email: "$unique@example.com", role: "viewer" } },
  "users.update": { input: { id: "usr_nope", role: "viewer" } },
  "users.disable": { input: { id: "usr_nope", disabled: true } },
  "audit.list": { query: true, input: {} },
  "alerts.rules": { query: true },
  "alerts.events": { query: true, input: { open: true } },
  "alerts.save": { input: { name: "x", kind: "daily_spend", threshold: 1, webhookUrl: "http://10.0.0.1/hook" } },
  "alerts.remove": { input: { id: "alr_nope" } },
  "playground.send": { input: { provider: "nope", model: "m", messages: [{ role: "user", content: "hi" }] } },
  "sso.get": { query: true },
  "sso.save": { input: { settings: null } },
};

let unique = 0;
function inputFor(path: Procedure): unknown {
  const text = JSON.stringify(SAMPLES[path].input ?? {})
    .replaceAll("$teamA", teamA)
    .replaceAll("$unique", `u${++unique}`);
  return JSON.parse(text);
}

beforeAll(async () => {
  server = await startServer({ env: { ADMIN_PASSWORD: PASSWORD, PROVIDER_URL_ALLOWLIST: "127.0.0.1" } });
  cookies.owner = await signIn(server.url, PASSWORD);
  emails.owner = "admin";
  teamA = (await trpc(server.url, cookies.owner, "teams.create", { name: "Alpha" })).data.id;
  teamB = (await trpc(server.url, cookies.owner, "teams.create", { name: "Beta" })).data.id;
  const people: Array<[Actor, { role: string; teams?: Array<{ id: string; role: string }> }]> = [
    ["admin", { role: "admin" }],
    ["viewer", { role: "viewer" }],
    ["lead", { role: "team", teams: [{ id: teamA, role: "lead" }] }],
    ["member", { role: "team", teams: [{ id: teamA, role: "member" }] }],
  ];
  for (const [actor, user] of people) {
    emails[actor] = `${actor}@example.com`;
    cookies[actor] = (await newUser(server.url, cookies.owner, { email: emails[actor], ...user })).cookie;
  }
});
afterAll(async () => {
  await server?.stop();
});

const auditCount = async () => (await trpc(server.url, cookies.owner, "audit.list", { limit: 200 }, "query")).data.rows.length as number;
const lastAudit = async () => (await trpc(server.url, cookies.owner, "audit.list", { limit: 1 }, "query")).data.rows[0];

describe("the access table", () => {
  it("has a rule for every procedure the admin API has, and no rule for one it lacks", () => {
    const procedures = Object.keys((appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures).sort();
    expect(procedures).toEqual(Object.keys(ACCESS).sort());
  });

  it("refuses each procedure to exactly the roles it leaves out, and audits each change once, by its caller", async () => {
    const table: string[] = [];
    for (const path of Object.keys(ACCESS) as Procedure[]) {
      const row: string[] = [];
      for (const actor of ACTORS) {
        const kind = SAMPLES[path].query ? "query" : "mutation";
        const before = kind === "mutation" ? await auditCount() : 0;
        const res = await trpc(server.url, cookies[actor], path, inputFor(path), kind);
        const allowed = (ACCESS[path] as readonly Actor[]).includes(actor);
        expect(res.status, `${path} as ${actor}: ${JSON.stringify(res.error?.message)}`).not.toBe(401);
        if (allowed) expect(res.status, `${path} as ${actor}: ${JSON.stringify(res.error?.message)}`).not.toBe(403);
        else expect(res.status, `${path} as ${actor}`).toBe(403);
        if (kind === "mutation") {
          const added = (await auditCount()) - before;
          expect(added, `${path} as ${actor}: audit rows`).toBe(res.status === 200 ? 1 : 0);
          if (res.status === 200) expect(await lastAudit()).toMatchObject({ action: path, actorEmail: emails[actor] });
        }
        row.push(`${actor}:${res.status}`);
      }
      table.push(`${path.padEnd(22)} ${row.join(" ")}`);
    }
    console.log(`procedure × role (HTTP status)\n${table.join("\n")}`);
  });
});

describe("team scope", () => {
  it("shows a lead their team's keys and a member only their own, and lets neither reach another team", async () => {
    const { owner, lead, member } = cookies;
    const alphaByOwner = (await trpc(server.url, owner, "keys.create", { name: "alpha-owner", teamId: teamA })).data.record.id;
    const betaByOwner = (await trpc(server.url, owner, "keys.create", { name: "beta-owner", teamId: teamB })).data.record.id;
    const mine = (await trpc(server.url, member, "keys.create", { name: "member-own", teamId: teamA })).data.record.id;
    const names = async (cookie: string) => ((await trpc(server.url, cookie, "keys.list", {}, "query")).data as Array<{ id: string }>).map((k) => k.id);
    expect(await names(lead)).toEqual(expect.arrayContaining([alphaByOwner, mine]));
    expect(await names(lead)).not.toContain(betaByOwner);
    expect(await names(member)).toEqual(expect.arrayContaining([mine]));
    expect(await names(member)).not.toContain(alphaByOwner);
    // Out of scope: as if it did not exist.
    expect((await trpc(server.url, member, "keys.revoke", { id: alphaByOwner })).status).toBe(404);
    expect((await trpc(server.url, lead, "keys.update", { id: betaByOwner, name: "taken" })).status).toBe(404);
    // Moving a key out of their teams, or making one in another team or in none, is refused.
    expect((await trpc(server.url, lead, "keys.update", { id: alphaByOwner, teamId: teamB })).status).toBe(403);
    expect((await trpc(server.url, member, "keys.create", { name: "elsewhere", teamId: teamB })).status).toBe(403);
    expect((await trpc(server.url, member, "keys.create", { name: "teamless" })).status).toBe(403);
    expect((await trpc(server.url, lead, "keys.revoke", { id: mine })).status).toBe(200); // a lead manages the team's keys
    const teams = (await trpc(server.url, member, "teams.list", {}, "query")).data as Array<{ id: string }>;
    expect(teams.map((t) => t.id)).toEqual([teamA]);
    // Made-by filter and record.
    const made = (await trpc(server.url, owner, "keys.list", { createdById: (await trpc(server.url, member, "me", {}, "query")).data.id }, "query")).data;
    expect(made.map((k: { id: string }) => k.id)).toContain(mine);
    expect(made.every((k: { createdBy: { email: string } }) => k.createdBy.email === emails.member)).toBe(true);
  });

  it("a disabled user's sessions end at once; the keys they made keep working until revoked", async () => {
    const { owner } = cookies;
    const temp = await newUser(server.url, owner, { email: "temp@example.com", role: "team", teams: [{ id: teamA, role: "member" }] });
    const made = await trpc(server.url, temp.cookie, "keys.create", { name: "temp-key", teamId: teamA });
    expect(made.status).toBe(200);
    expect((await trpc(server.url, owner, "users.disable", { id: temp.id, disabled: true })).status).toBe(200);
    expect((await trpc(server.url, temp.cookie, "me", {}, "query")).status).toBe(401);
    await expect(signIn(server.url, "a long enough password", "temp@example.com")).rejects.toThrow(/sign-in failed/);
    const res = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${made.data.secret}` } });
    expect(res.status).toBe(200);
    const listed = (await trpc(server.url, owner, "keys.list", {}, "query")).data.find((k: { id: string }) => k.id === made.data.record.id);
    expect(listed.createdBy).toMatchObject({ email: "temp@example.com", disabled: true });
  });

  it("keeps an owner: the last one cannot be demoted or disabled, nor can anyone disable themselves", async () => {
    const me = (await trpc(server.url, cookies.owner, "me", {}, "query")).data.id;
    expect((await trpc(server.url, cookies.owner, "users.update", { id: me, role: "admin" })).error.message).toMatch(/last owner/);
    expect((await trpc(server.url, cookies.owner, "users.disable", { id: me, disabled: true })).error.message).toMatch(/yourself/);
  });
});

describe("the audit log and secrets", () => {
  it("records a provider's, a key's and an invitation's changes without any secret value, in the table or the server's log", async () => {
    const { owner } = cookies;
    const secrets: string[] = ["sk-audit-provider-secret-0001", "Bearer hdr-audit-secret-0002", "sk-audit-provider-secret-0003"];
    const form = {
      id: "audited",
      type: "openai",
      base_url: "http://127.0.0.1:9/v1",
      api_key: secrets[0],
      models: "m",
      image_models: "",
      enabled: true,
      headers: `Authorization: ${secrets[1]}\nx-team: search`,
      settings: "",
      mode: "add",
    };
    expect((await trpc(server.url, owner, "providers.save", form)).status).toBe(200);
    expect((await trpc(server.url, owner, "providers.save", { ...form, api_key: secrets[2], headers: "x-team: ads", mode: "edit" })).status).toBe(200);
    const key = await trpc(server.url, owner, "keys.create", { name: "audited-key", teamId: teamA });
    secrets.push(key.data.secret);
    const rotated = await trpc(server.url, owner, "keys.rotate", { id: key.data.record.id, graceSeconds: 60 });
    secrets.push(rotated.data.secret);
    const invited = await trpc(server.url, owner, "users.invite", { email: "audited@example.com", role: "viewer" });
    secrets.push(new URL(invited.data.url).pathname.split("/").pop()!);

    const exported = await (await fetch(`${server.url}/api/admin/audit/export?format=jsonl`, { headers: { cookie: owner } })).text();
    const rows = exported
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { action: string; target: string; changes: Record<string, { before: unknown; after: unknown }> | null });
    for (const secret of secrets) {
      expect(exported).not.toContain(secret);
      expect(server.output()).not.toContain(secret);
    }
    // What did change is there, the secrets as changed.
    const edit = rows.find((r) => r.action === "providers.save" && r.changes?.api_key?.before === "(secret)");
    expect(edit?.changes).toMatchObject({ api_key: { before: "(secret)", after: "(changed)" }, "headers.Authorization": { before: "(secret)", after: null } });
    expect(edit?.changes?.["headers.x-team"]).toEqual({ before: "search", after: "ads" });
    expect(rows.find((r) => r.action === "keys.rotate")?.changes).toEqual({
      secret: { before: "(secret)", after: "(changed)" },
      graceSeconds: { before: null, after: 60 },
    });
    expect(rows.find((r) => r.action === "users.invite" && r.target.startsWith("user:"))?.changes?.email).toEqual({
      before: null,
      after: "audited@example.com",
    });
  });
});
