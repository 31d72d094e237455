"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";

type Provider = Awaited<ReturnType<typeof trpc.providers.list.query>>[number];
type Form = Provider["form"];
const EMPTY: Form = {
  id: "",
  type: "openai",
  base_url: "",
  api_key: "",
  models: "",
  image_models: "",
  embedding_models: "",
  audio_models: "",
  enabled: true,
  settings: "",
};

export default function ProvidersView() {
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  /** The provider being edited (null: adding a new one): its id stays as it is. */
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => trpc.providers.list.query().then(setProviders, (e) => setError(e.message)), []);
  useEffect(() => void load(), [load]);
  /** Health, circuits and figures change on their own: refreshed every 5 s while live (pausable). */
  const [live, setLive] = useState(true);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [live, load]);

  const act = (p: Promise<unknown>) =>
    p.then(
      () => (setError(null), load()),
      (e) => setError(e.message),
    );
  // The provider as configured (its base URL, aliases, headers, timeouts and options), so an unchanged save
  // changes nothing.
  const edit = (p: Provider) => (setEditing(p.id), setForm({ ...p.form }));

  return (
    <>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <h1>Providers</h1>
        <div className="row">
          <label>
            <span>
              <input type="checkbox" name="live" checked={live} onChange={(e) => setLive(e.target.checked)} /> refresh every 5 s
            </span>
          </label>
          <button onClick={() => (setEditing(null), setForm({ ...EMPTY }))}>Add provider</button>
        </div>
      </div>
      {error && (
        <p className="bad" role="alert">
          {error}
        </p>
      )}
      {form && (
        <form
          className="card"
          aria-label="provider form"
          onSubmit={(e) => {
            e.preventDefault();
            void act(trpc.providers.save.mutate({ ...form, mode: editing ? "edit" : "add" }).then(() => setForm(null)));
          }}
        >
          <div className="row">
            <label>
              Id
              <input
                name="id"
                value={form.id}
                onChange={(e) => setForm({ ...form, id: e.target.value })}
                required
                readOnly={editing !== null}
                title={editing !== null ? "A provider's id cannot change: add a new provider and delete this one" : undefined}
              />
            </label>
            <label>
              Type
              <select value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value as Form["type"] })}>
                {["openai", "anthropic", "gemini", "huggingface", "local"].map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </label>
            <label>
              Base URL
              <input value={form.base_url} onChange={(e) => setForm({ ...form, base_url: e.target.value })} size={34} />
            </label>
            <label>
              API key (write-only; empty keeps the stored one)
              <input type="password" value={form.api_key} onChange={(e) => setForm({ ...form, api_key: e.target.value })} autoComplete="off" />
            </label>
          </div>
          <div className="row" style={{ marginTop: 8 }}>
            <label>
              Models (comma-separated; alias=upstream)
              <input value={form.models} onChange={(e) => setForm({ ...form, models: e.target.value })} size={34} />
            </label>
            <label>
              Image models
              <input value={form.image_models} onChange={(e) => setForm({ ...form, image_models: e.target.value })} />
            </label>
            <label>
              Embedding models
              <input value={form.embedding_models} onChange={(e) => setForm({ ...form, embedding_models: e.target.value })} />
            </label>
            <label>
              Audio models
              <input value={form.audio_models} onChange={(e) => setForm({ ...form, audio_models: e.target.value })} />
            </label>
            <label>
              Enabled
              <input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} />
            </label>
          </div>
          <div className="row" style={{ marginTop: 8 }}>
            <label style={{ flex: 1 }}>
              Other settings (JSON: headers, timeouts, retries, circuit_breaker, drop_params, url, and a local model's model_path, context_size…)
              <textarea
                aria-label="settings"
                value={form.settings}
                onChange={(e) => setForm({ ...form, settings: e.target.value })}
                rows={6}
                style={{ width: "100%", fontFamily: "monospace" }}
              />
            </label>
          </div>
          <div className="row" style={{ marginTop: 8 }}>
            <button className="primary" type="submit">
              Save
            </button>
            <button type="button" onClick={() => setForm(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {!providers ? (
        <p className="muted">Loading…</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Provider</th>
              <th>Models</th>
              <th>Enabled</th>
              <th>Health</th>
              <th>Last hour</th>
              <th>Key</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <tr key={p.id} data-provider={p.id}>
                <td>
                  <strong>{p.id}</strong> <span className="pill">{p.type}</span>
                  <div className="muted">{p.url}</div>
                </td>
                <td>
                  {p.models.join(", ") || <span className="muted">none</span>}
                  {p.image_models.length > 0 && <div className="muted">images: {p.image_models.join(", ")}</div>}
                  {p.embedding_models.length > 0 && <div className="muted">embeddings: {p.embedding_models.join(", ")}</div>}
                  {p.audio_models.length > 0 && <div className="muted">audio: {p.audio_models.join(", ")}</div>}
                  {p.unpriced.length > 0 && (
                    <div className="muted" data-unpriced title="Their cost is unknown: set prices for them in the provider's settings">
                      no price: {p.unpriced.join(", ")}
                    </div>
                  )}
                </td>
                <td>
                  <label>
                    <input
                      type="checkbox"
                      role="switch"
                      aria-label={`enable ${p.id}`}
                      checked={p.enabled}
                      onChange={(e) => void act(trpc.providers.setEnabled.mutate({ id: p.id, enabled: e.target.checked }))}
                    />{" "}
                    {p.enabled ? "on" : "off"}
                  </label>
                </td>
                <td className={p.health.status === "healthy" ? "good" : p.health.status === "down" ? "bad" : ""} data-health>
                  {p.ready ? p.health.status : "not ready"}
                  {p.health.circuit !== "closed" && (
                    <div className="bad" data-circuit>
                      circuit {p.health.circuit}
                      {p.health.circuit_retry_in_ms !== undefined && ` · retry in ${Math.ceil(p.health.circuit_retry_in_ms / 1000)} s`}
                    </div>
                  )}
                  {p.health.consecutive_failures > 0 && <div className="muted">{p.health.consecutive_failures} failure(s) in a row</div>}
                  {p.health.last_success_at && <div className="muted">last success {ago(p.health.last_success_at)}</div>}
                  {p.health.last_error && p.health.last_error_at && (
                    // Dated, so an old error under "healthy" reads as the past it is.
                    <div className="muted" title={p.health.last_error} data-last-error>
                      last error {ago(p.health.last_error_at)}: {p.health.last_error.slice(0, 60)}
                    </div>
                  )}
                </td>
                <td>
                  {p.stats ? (
                    <>
                      {p.stats.requests} req ·{" "}
                      <span title="Of the requests this provider took part in (tried or served), those it did not serve">
                        {(p.stats.errorRate * 100).toFixed(1)}% failed here
                      </span>
                      <div className="muted" data-latency>
                        p50 {ms(p.stats.p50Ms)} · p95 {ms(p.stats.p95Ms)}
                      </div>
                    </>
                  ) : (
                    <span className="muted">no requests</span>
                  )}
                </td>
                <td className="muted">{p.apiKey ?? "none"}</td>
                <td className="row">
                  <button onClick={() => edit(p)}>Edit</button>
                  <button onClick={() => confirm(`Delete provider ${p.id}?`) && void act(trpc.providers.remove.mutate({ id: p.id }))}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** "171 ms", "1.2 s", "–": latencies as people read them. */
function ms(value: number | null): string {
  if (value === null) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/** "12 s ago", "3 min ago", "2 h ago". */
function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}
