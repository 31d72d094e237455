"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import { BudgetList, BudgetsEditor, toRows, toRules, usd, type BudgetRow } from "../budgets";

type Key = Awaited<ReturnType<typeof trpc.keys.list.query>>[number];
type Team = Awaited<ReturnType<typeof trpc.teams.list.query>>[number];

const EMPTY = { name: "", allowedProviders: "", allowedModels: "", rpm: "", tpm: "", teamId: "", budgets: [] as BudgetRow[] };

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
  /** The key being edited: its team and budgets. */
  const [editing, setEditing] = useState<{ id: string; name: string; teamId: string; budgets: BudgetRow[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
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
      <form
        className="card row"
        aria-label="new key"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          trpc.keys.create
            .mutate({
              name: form.name,
              allowedProviders: form.allowedProviders,
              allowedModels: form.allowedModels,
              rateLimitRpm: form.rpm ? Number(form.rpm) : null,
              rateLimitTpm: form.tpm ? Number(form.tpm) : null,
              teamId: form.teamId || null,
              budgets: toRules(form.budgets),
            })
            .then(
              (r) => (setSecret(r.secret), setForm(EMPTY), load()),
              (e) => setError(e.message),
            );
        }}
      >
        <label>
          Name
          <input name="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required />
        </label>
        <label>
          Allowed providers (optional)
          <input value={form.allowedProviders} onChange={(e) => setForm({ ...form, allowedProviders: e.target.value })} />
        </label>
        <label>
          Allowed models (optional)
          <input value={form.allowedModels} onChange={(e) => setForm({ ...form, allowedModels: e.target.value })} />
        </label>
        <label>
          Requests/min
          <input type="number" min={1} value={form.rpm} onChange={(e) => setForm({ ...form, rpm: e.target.value })} />
        </label>
        <label>
          Tokens/min
          <input type="number" min={1} value={form.tpm} onChange={(e) => setForm({ ...form, tpm: e.target.value })} />
        </label>
        <TeamSelect teams={teams} value={form.teamId} onChange={(teamId) => setForm({ ...form, teamId })} />
        <BudgetsEditor rows={form.budgets} onChange={(budgets) => setForm({ ...form, budgets })} />
        <button className="primary" type="submit">
          Create key
        </button>
      </form>
      {secret && (
        <div className="card" aria-label="new secret">
          <p>Copy this key now: it is shown only once.</p>
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
            trpc.keys.update.mutate({ id: editing.id, teamId: editing.teamId || null, budgets: toRules(editing.budgets) }).then(
              () => (setEditing(null), load()),
              (e) => setError(e.message),
            );
          }}
        >
          <strong>{editing.name}</strong>
          <TeamSelect teams={teams} value={editing.teamId} onChange={(teamId) => setEditing({ ...editing, teamId })} />
          <BudgetsEditor rows={editing.budgets} onChange={(budgets) => setEditing({ ...editing, budgets })} />
          <button className="primary" type="submit">
            Save
          </button>
          <button type="button" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      )}
      {error && <p className="bad">{error}</p>}
      <label className="muted">
        <input type="checkbox" name="showRevoked" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> show revoked keys
      </label>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Team</th>
            <th>Scope</th>
            <th>Limits</th>
            <th>Spend and budgets</th>
            <th>Created</th>
            <th>Last used</th>
            <th></th>
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
            .filter((k) => showRevoked || !k.revokedAt)
            .map((k) => (
              <tr key={k.id} data-key={k.name}>
                <td>
                  {k.name}
                  <div className="muted">{k.id}</div>
                </td>
                <td>
                  <code>{k.prefix}</code>
                </td>
                <td data-team>{k.team?.name ?? <span className="muted">–</span>}</td>
                <td>
                  {k.allowedProviders?.join(", ") ?? "any provider"}
                  <div className="muted">{k.allowedModels?.join(", ") ?? "any model"}</div>
                </td>
                <td>
                  {k.rateLimitRpm ? `${k.rateLimitRpm} req/min` : "–"}
                  {k.rateLimitTpm ? ` · ${k.rateLimitTpm} tok/min` : ""}
                </td>
                <td data-spend>
                  {usd(k.spentMonthUsd)} this month · {usd(k.spentTotalUsd)} in total
                  <BudgetList budgets={k.budgetStatus} alertPercent={k.alertPercent} />
                </td>
                <td>{new Date(k.createdAt).toLocaleString()}</td>
                <td>{k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : "never"}</td>
                <td>
                  {k.revokedAt ? (
                    <span className="bad">revoked</span>
                  ) : (
                    <>
                      <button onClick={() => setEditing({ id: k.id, name: k.name, teamId: k.team?.id ?? "", budgets: toRows(k.budgets) })}>Edit</button>
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
