"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import { BudgetList, BudgetsEditor, toRows, toRules, usd, type BudgetRow } from "../budgets";
import ErrorAlert from "../error-alert";
import { actsAs, useMe } from "../me";
import PurgeCacheButton from "../purge-cache";

type Key = Awaited<ReturnType<typeof trpc.keys.list.query>>[number];
type Team = Awaited<ReturnType<typeof trpc.teams.list.query>>[number];

/** A key's settings as the forms hold them: text, and the expiry in the admin's own time. */
interface Fields {
  name: string;
  allowedProviders: string;
  allowedModels: string;
  rpm: string;
  tpm: string;
  teamId: string;
  budgets: BudgetRow[];
  /** datetime-local text; empty: never expires. */
  expires: string;
  /** "continue", "off", or "": each provider's config decides. */
  streamRecovery: string;
  /** The response cache: "on", "off", or "": its team's, else the config's. */
  cache: string;
}
const EMPTY: Fields = {
  name: "",
  allowedProviders: "",
  allowedModels: "",
  rpm: "",
  tpm: "",
  teamId: "",
  budgets: [],
  expires: "",
  streamRecovery: "",
  cache: "",
};

/** A Date as a datetime-local value in the browser's own time zone. */
function localInput(d: Date | string | null): string {
  if (!d) return "";
  const t = new Date(d);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

const fieldsOf = (k: Key): Fields => ({
  name: k.name,
  allowedProviders: k.allowedProviders?.join(", ") ?? "",
  allowedModels: k.allowedModels?.join(", ") ?? "",
  rpm: k.rateLimitRpm ? String(k.rateLimitRpm) : "",
  tpm: k.rateLimitTpm ? String(k.rateLimitTpm) : "",
  teamId: k.team?.id ?? "",
  budgets: toRows(k.budgets),
  expires: localInput(k.expiresAt),
  streamRecovery: k.streamRecovery ?? "",
  cache: k.cache === true ? "on" : k.cache === false ? "off" : "",
});

/** The fields as the API takes them (the same for a new key and an edit). */
const settingsOf = (f: Fields) => ({
  name: f.name,
  allowedProviders: f.allowedProviders,
  allowedModels: f.allowedModels,
  rateLimitRpm: f.rpm ? Number(f.rpm) : null,
  rateLimitTpm: f.tpm ? Number(f.tpm) : null,
  teamId: f.teamId || null,
  budgets: toRules(f.budgets),
  expiresAt: f.expires ? new Date(f.expires).toISOString() : null,
  streamRecovery: f.streamRecovery === "continue" || f.streamRecovery === "off" ? (f.streamRecovery as "continue" | "off") : null,
  cache: f.cache === "on" ? true : f.cache === "off" ? false : null,
});

/** Grace periods offered when rotating: how long the old secret keeps working. */
const GRACE = [
  { seconds: 0, label: "none: stop the old key now" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "24 hours" },
  { seconds: 7 * 86_400, label: "7 days" },
];

/** The settings a key is made with and edited by. */
function KeyFields({ fields, teams, onChange }: { fields: Fields; teams: Team[]; onChange: (f: Fields) => void }) {
  const text = (name: keyof Fields, label: string, type = "text") => (
    <label>
      {label}
      <input
        name={name}
        type={type}
        min={type === "number" ? 1 : undefined}
        value={fields[name] as string}
        onChange={(e) => onChange({ ...fields, [name]: e.target.value })}
        required={name === "name"}
      />
    </label>
  );
  return (
    <>
      {text("name", "Name")}
      {text("allowedProviders", "Allowed providers (optional)")}
      {text("allowedModels", "Allowed models (optional)")}
      {text("rpm", "Requests/min", "number")}
      {text("tpm", "Tokens/min", "number")}
      {text("expires", "Expires (your time; empty: never)", "datetime-local")}
      <TeamSelect teams={teams} value={fields.teamId} onChange={(teamId) => onChange({ ...fields, teamId })} />
      <label title="What a streamed answer does when its provider breaks after it began; a request's own stream_recovery field wins">
        Broken streams
        <select name="streamRecovery" value={fields.streamRecovery} onChange={(e) => onChange({ ...fields, streamRecovery: e.target.value })}>
          <option value="">as each provider is set</option>
          <option value="continue">continue on the next provider</option>
          <option value="off">end with an error</option>
        </select>
      </label>
      <label title="Whether the key's requests may be answered from the response cache (interference.yaml's cache: section sets it up)">
        Response cache
        <select name="cache" value={fields.cache} onChange={(e) => onChange({ ...fields, cache: e.target.value })}>
          <option value="">as its team, else the config</option>
          <option value="on">on</option>
          <option value="off">off</option>
        </select>
      </label>
      <BudgetsEditor rows={fields.budgets} onChange={(budgets) => onChange({ ...fields, budgets })} />
    </>
  );
}

/** A team chooser: "" is no team. */
function TeamSelect({ teams, value, onChange }: { teams: Team[]; value: string; onChange: (id: string) => void }) {
  return (
    <label>
      Team
      <select name="team" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">no team</option>
        {teams.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export default function KeysView() {
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [teams, setTeams] = useState<Team[]>([]);
  const [form, setForm] = useState(EMPTY);
  const [secret, setSecret] = useState<string | null>(null);
  const [snippet, setSnippet] = useState<"curl" | "python" | "node">("curl");
  const [copied, setCopied] = useState(false);
  const [showRevoked, setShowRevoked] = useState(false);
  /** A model the gateway serves, for the snippets: the first chat model of the first enabled provider. */
  const [model, setModel] = useState("");
  useEffect(() => {
    trpc.providers.list.query().then(
      (list) => setModel(list.find((p) => p.enabled && p.models.some((m) => m !== "*"))?.models.find((m) => m !== "*") ?? ""),
      () => undefined,
    );
  }, []);
  /** The key being edited, and its settings as the form holds them. */
  const [editing, setEditing] = useState<{ id: string; fields: Fields } | null>(null);
  /** The key being rotated, and the grace period chosen. */
  const [rotating, setRotating] = useState<{ id: string; name: string; grace: number } | null>(null);
  /** Until when the old secret works, after a rotation with a grace period. */
  const [graceUntil, setGraceUntil] = useState<Date | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** What the last purge of a key's cached answers did. */
  const [purged, setPurged] = useState<string | null>(null);
  const me = useMe();
  /** Only the keys one person made (the Users page links here with ?createdById=). */
  const [maker, setMaker] = useState("");
  useEffect(() => setMaker(new URLSearchParams(window.location.search).get("createdById") ?? ""), []);
  const makers = [...new Map((keys ?? []).flatMap((k) => (k.createdBy ? [[k.createdBy.id, k.createdBy.email] as const] : []))).entries()];
  const load = useCallback(() => {
    trpc.keys.list.query().then(setKeys, (e) => setError(e.message));
    trpc.teams.list.query().then(setTeams, (e) => setError(e.message));
  }, []);
  useEffect(() => load(), [load]);

  return (
    <>
      <h1>API keys</h1>
      <p className="muted">
        Once a key exists, every /v1 request needs <code>Authorization: Bearer &lt;key&gt;</code>. A key in a team counts in the team&apos;s budgets too.
      </p>
      {actsAs(me, "owner", "admin", "lead", "member") && (
        <form
          className="card row"
          aria-label="new key"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            trpc.keys.create.mutate(settingsOf(form)).then(
              (r) => (setSecret(r.secret), setGraceUntil(null), setForm(EMPTY), load()),
              (e) => setError(e.message),
            );
          }}
        >
          <KeyFields fields={form} teams={teams} onChange={setForm} />
          <button className="primary" type="submit">
            Create key
          </button>
        </form>
      )}
      {secret && (
        <div className="card" aria-label="new secret">
          <p>Copy this key now: it is shown only once.</p>
          {graceUntil && <p data-grace>The old key keeps working until {graceUntil.toLocaleString()}: move your services to this one before then.</p>}
          <div className="secret" data-secret>
            {secret}
          </div>
          <div className="row" style={{ margin: "8px 0" }}>
            {(["curl", "python", "node"] as const).map((lang) => (
              <button key={lang} type="button" aria-pressed={snippet === lang} onClick={() => setSnippet(lang)}>
                {lang === "curl" ? "curl" : lang === "python" ? "Python" : "Node"}
              </button>
            ))}
            <button type="button" onClick={() => void navigator.clipboard?.writeText(snippetFor(snippet, secret, model)).then(() => setCopied(true))}>
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
          <pre data-snippet={snippet}>{snippetFor(snippet, secret, model)}</pre>
          <button onClick={() => (setSecret(null), setCopied(false))}>Done</button>
        </div>
      )}
      {editing && (
        <form
          className="card row"
          aria-label="key settings"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            trpc.keys.update.mutate({ id: editing.id, ...settingsOf(editing.fields) }).then(
              () => (setEditing(null), load()),
              (e) => setError(e.message),
            );
          }}
        >
          <KeyFields fields={editing.fields} teams={teams} onChange={(fields) => setEditing({ ...editing, fields })} />
          <button className="primary" type="submit">
            Save
          </button>
          <button type="button" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      )}
      {rotating && (
        <form
          className="card row"
          aria-label="rotate key"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            trpc.keys.rotate.mutate({ id: rotating.id, graceSeconds: rotating.grace }).then(
              (r) => {
                setRotating(null);
                setSecret(r.secret);
                setCopied(false);
                setGraceUntil(r.record.previousSecretValidUntil ? new Date(r.record.previousSecretValidUntil) : null);
                load();
              },
              (e) => setError(e.message),
            );
          }}
        >
          <strong>Rotate {rotating.name}</strong>
          <label>
            The old key keeps working for
            <select name="grace" value={rotating.grace} onChange={(e) => setRotating({ ...rotating, grace: Number(e.target.value) })}>
              {GRACE.map((g) => (
                <option key={g.seconds} value={g.seconds}>
                  {g.label}
                </option>
              ))}
            </select>
          </label>
          <button className="primary" type="submit">
            Make a new secret
          </button>
          <button type="button" onClick={() => setRotating(null)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorAlert error={error} />
      {purged && (
        <p className="notice" role="status" data-purged>
          {purged}
        </p>
      )}
      <div className="row">
        <label className="muted">
          <input type="checkbox" name="showRevoked" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> show revoked keys
        </label>
        <label className="muted">
          Made by{" "}
          <select name="maker" value={maker} onChange={(e) => setMaker(e.target.value)}>
            <option value="">anyone</option>
            {makers.map(([id, email]) => (
              <option key={id} value={id}>
                {email}
              </option>
            ))}
          </select>
        </label>
      </div>
      <table className="cards">
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Team</th>
            <th>Scope</th>
            <th>Limits</th>
            <th>Last 24 h · 30 days</th>
            <th>Spend and budgets</th>
            <th>Created · used · expires</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys?.length === 0 && (
            <tr>
              <td colSpan={9} className="muted">
                No API keys yet: /v1 is open to anyone who can reach it until the first key is made.
              </td>
            </tr>
          )}
          {(keys ?? [])
            .filter((k) => (showRevoked || !k.revokedAt) && (!maker || k.createdBy?.id === maker))
            .map((k) => (
              <tr key={k.id} data-key={k.name}>
                <td data-label="Name">
                  {k.name}
                  <div className="muted">{k.id}</div>
                  {k.createdBy && (
                    <div className="muted" data-made-by>
                      made by {k.createdBy.email}
                      {k.createdBy.disabled && !k.revokedAt && <span className="bad"> (disabled: the key works until revoked)</span>}
                    </div>
                  )}
                </td>
                <td data-label="Key">
                  <code>{k.prefix}</code>
                </td>
                <td data-label="Team" data-team>
                  {k.team?.name ?? <span className="muted">–</span>}
                </td>
                <td data-label="Scope">
                  {k.allowedProviders?.join(", ") ?? "any provider"}
                  <div className="muted">{k.allowedModels?.join(", ") ?? "any model"}</div>
                </td>
                <td data-label="Limits">
                  {k.rateLimitRpm ? `${k.rateLimitRpm} req/min` : "–"}
                  {k.rateLimitTpm ? ` · ${k.rateLimitTpm} tok/min` : ""}
                  {k.streamRecovery && (
                    <div className="muted" data-stream-recovery>
                      broken streams: {k.streamRecovery === "continue" ? "continued" : "end with an error"}
                    </div>
                  )}
                  {k.cache !== null && (
                    <div className="muted" data-cache-setting>
                      response cache {k.cache ? "on" : "off"}
                    </div>
                  )}
                </td>
                <td data-label="Last 24 h · 30 days" data-usage>
                  <a href={`/logs?apiKeyId=${encodeURIComponent(k.id)}`} title="This key's requests in the log">
                    {k.usage.day.requests} · {k.usage.month.requests} requests
                  </a>
                  <div className="muted">
                    {k.usage.month.tokens.toLocaleString()} tokens · {usd(k.usage.month.cost)}
                    {k.usage.month.errors > 0 && <span className="bad"> · {k.usage.month.errors} errors</span>}
                  </div>
                </td>
                <td data-label="Spend and budgets" data-spend>
                  {usd(k.spentMonthUsd)} this month · {usd(k.spentTotalUsd)} in total
                  <BudgetList budgets={k.budgetStatus} alertPercent={k.alertPercent} />
                </td>
                <td data-label="Created · used · expires">
                  {new Date(k.createdAt).toLocaleString()}
                  <div className="muted">used {k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : "never"}</div>
                  {k.expiresAt && (
                    <div className={new Date(k.expiresAt).getTime() <= Date.now() ? "bad" : "muted"} data-expires>
                      {new Date(k.expiresAt).getTime() <= Date.now() ? "expired" : "expires"} {new Date(k.expiresAt).toLocaleString()}
                    </div>
                  )}
                  {k.previousSecretValidUntil && (
                    <div className="muted" data-grace-until>
                      old secret until {new Date(k.previousSecretValidUntil).toLocaleString()}
                    </div>
                  )}
                </td>
                <td data-label="Actions">
                  {k.revokedAt ? (
                    <span className="bad">revoked</span>
                  ) : (
                    <>
                      <button onClick={() => (setRotating(null), setEditing({ id: k.id, fields: fieldsOf(k) }))}>Edit</button>
                      <button onClick={() => (setEditing(null), setRotating({ id: k.id, name: k.name, grace: 86_400 }))}>Rotate</button>
                      <PurgeCacheButton
                        owner="key"
                        id={k.id}
                        name={k.name}
                        title="Delete the answers the response cache keeps for this key (those it shares with its team stay)"
                        onDone={setPurged}
                        onError={setError}
                      />
                      <button
                        onClick={() => {
                          if (!window.confirm(`Revoke ${k.name}? Requests with it are refused at once, on every replica. This cannot be undone.`)) return;
                          void trpc.keys.revoke.mutate({ id: k.id }).then(load, (e) => setError(e.message));
                        }}
                      >
                        Revoke
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </>
  );
}

/** A first request with the new key, ready to paste: the gateway's own address, the OpenAI API. */
function snippetFor(lang: "curl" | "python" | "node", secret: string, model: string): string {
  const base = `${window.location.origin}/v1`;
  if (lang === "curl") {
    const body = JSON.stringify({ ...(model ? { model } : {}), messages: [{ role: "user", content: "Hello" }] });
    return `curl ${base}/chat/completions \\\n  -H "Authorization: Bearer ${secret}" -H "content-type: application/json" \\\n  -d '${body}'`;
  }
  if (lang === "python") {
    return `from openai import OpenAI\n\nclient = OpenAI(base_url="${base}", api_key="${secret}")\nprint(client.chat.completions.create(model="${model}", messages=[{"role": "user", "content": "Hello"}]).choices[0].message.content)`;
  }
  return `import OpenAI from "openai";\n\nconst client = new OpenAI({ baseURL: "${base}", apiKey: "${secret}" });\nconst res = await client.chat.completions.create({ model: "${model}", messages: [{ role: "user", content: "Hello" }] });\nconsole.log(res.choices[0].message.content);`;
}
