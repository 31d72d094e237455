"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import ErrorAlert from "../error-alert";
import CacheSettings from "./cache-settings";

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
  headers: "",
  timeouts: { connect_ms: "", first_byte_ms: "", idle_ms: "", total_ms: "" },
  drop_params: false,
  settings: "",
};
type Preset = Awaited<ReturnType<typeof trpc.providers.presets.query>>[number];
type Probe = Awaited<ReturnType<typeof trpc.providers.test.mutate>>;

const TIMEOUT_LABELS: Record<keyof Form["timeouts"], string> = {
  connect_ms: "Connect timeout (ms)",
  first_byte_ms: "First byte (ms)",
  idle_ms: "Idle between chunks (ms)",
  total_ms: "Whole request (ms)",
};

export default function ProvidersView() {
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  /** The provider being edited (null: adding a new one): its id stays as it is. */
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [presets, setPresets] = useState<Preset[]>([]);
  /** Each provider's last "test connection" result, or "testing" while it runs. */
  const [probes, setProbes] = useState<Record<string, Probe | "testing">>({});
  useEffect(() => void trpc.providers.presets.query().then(setPresets, () => undefined), []);
  const test = (id: string) => {
    setProbes((p) => ({ ...p, [id]: "testing" }));
    trpc.providers.test.mutate({ id }).then(
      (result) => setProbes((p) => ({ ...p, [id]: result })),
      (e: Error) => (setProbes(({ [id]: _gone, ...rest }) => rest), setError(e.message)),
    );
  };
  /** Moves a provider one place up (-1) or down (+1) in the routing order. */
  const move = (index: number, by: -1 | 1) => {
    if (!providers) return;
    const ids = providers.map((p) => p.id);
    [ids[index], ids[index + by]] = [ids[index + by]!, ids[index]!];
    void act(trpc.providers.reorder.mutate({ ids }));
  };
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
          <button
            onClick={() => void act(trpc.providers.reorder.mutate({ ids: null }))}
            title="Order the providers as the config file lists them (dashboard additions after)"
          >
            Config file order
          </button>
          <button onClick={() => (setEditing(null), setForm({ ...EMPTY }))}>Add provider</button>
        </div>
      </div>
      <ErrorAlert error={error} />
      <RoutingSettings providers={providers?.map((p) => p.id) ?? []} onError={setError} />
      <CacheSettings onError={setError} />
      {form && (
        <form
          className="card"
          aria-label="provider form"
          onSubmit={(e) => {
            e.preventDefault();
            // Closed once the list shows what was saved, so an Edit right after starts from it.
            trpc.providers.save.mutate({ ...form, mode: editing ? "edit" : "add" }).then(
              () => load().then(() => (setError(null), setForm(null))),
              (e: Error) => setError(e.message),
            );
          }}
        >
          {editing === null && presets.length > 0 && (
            <div className="row" style={{ marginBottom: 8 }}>
              <label>
                Start from
                <select
                  name="preset"
                  defaultValue=""
                  onChange={(e) => {
                    const preset = presets.find((p) => p.name === e.target.value);
                    if (preset) setForm({ ...form, id: form.id || preset.name, type: preset.type, base_url: preset.base_url });
                  }}
                >
                  <option value="">a blank provider</option>
                  {presets.map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name} ({p.base_url})
                    </option>
                  ))}
                </select>
              </label>
            </div>
          )}
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
              <input name="base_url" value={form.base_url} onChange={(e) => setForm({ ...form, base_url: e.target.value })} size={34} />
            </label>
            <label>
              API key (write-only; empty keeps the stored one)
              <input type="password" value={form.api_key} onChange={(e) => setForm({ ...form, api_key: e.target.value })} autoComplete="off" />
            </label>
          </div>
          <div className="row" style={{ marginTop: 8 }}>
            <label>
              Models (comma-separated; alias=upstream)
              <input name="models" value={form.models} onChange={(e) => setForm({ ...form, models: e.target.value })} size={34} />
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
            <label title="Leave out request parameters this provider does not support instead of refusing the request">
              Drop unsupported parameters
              <input type="checkbox" name="drop_params" checked={form.drop_params} onChange={(e) => setForm({ ...form, drop_params: e.target.checked })} />
            </label>
          </div>
          <div className="row" style={{ marginTop: 8 }}>
            {(Object.keys(TIMEOUT_LABELS) as Array<keyof Form["timeouts"]>).map((f) => (
              <label key={f}>
                {TIMEOUT_LABELS[f]}
                <input
                  name={f}
                  type="number"
                  min={1}
                  placeholder="default"
                  value={form.timeouts[f]}
                  onChange={(e) => setForm({ ...form, timeouts: { ...form.timeouts, [f]: e.target.value } })}
                />
              </label>
            ))}
            <label style={{ flex: 1 }}>
              Extra headers (a &quot;Name: value&quot; per line; credentials stay hidden)
              <textarea
                name="headers"
                value={form.headers}
                onChange={(e) => setForm({ ...form, headers: e.target.value })}
                rows={2}
                style={{ width: "100%" }}
              />
            </label>
          </div>
          <div className="row" style={{ marginTop: 8 }}>
            <label style={{ flex: 1 }}>
              Other settings (JSON: retries, circuit_breaker, prices, url, and a local model's model_path, context_size…)
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
        <table className="cards">
          <thead>
            <tr>
              <th>Order</th>
              <th>Provider</th>
              <th>Models</th>
              <th>Enabled</th>
              <th>Health</th>
              <th>Last hour</th>
              <th>Key</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p, i) => (
              <tr key={p.id} data-provider={p.id}>
                <td data-label="Order" className="order">
                  <span data-position>{i + 1}</span>
                  <button type="button" aria-label={`move ${p.id} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                    ↑
                  </button>
                  <button type="button" aria-label={`move ${p.id} down`} disabled={i === providers.length - 1} onClick={() => move(i, 1)}>
                    ↓
                  </button>
                </td>
                <td data-label="Provider">
                  <strong>{p.id}</strong> <span className="pill">{p.type}</span>{" "}
                  <span className="pill" data-source title={p.source === "config" ? "Defined in the config file" : "Added or last changed in the dashboard"}>
                    {p.source === "config" ? "config file" : "dashboard"}
                  </span>
                  <div className="muted">{p.url}</div>
                </td>
                <td data-label="Models">
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
                <td data-label="Enabled">
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
                <td data-label="Health" className={p.health.status === "healthy" ? "good" : p.health.status === "down" ? "bad" : ""} data-health>
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
                <td data-label="Last hour">
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
                  <div className="muted" data-router title="What the router ranks by on this replica: recent time to first token, requests in flight, weight">
                    router: {p.health.routing.ttft_ms === null ? "not measured" : `${ms(p.health.routing.ttft_ms)} to first token`} ·{" "}
                    {p.health.routing.in_flight} in flight · weight {p.weight}
                  </div>
                </td>
                <td data-label="Key" className="muted">
                  {p.apiKey ?? "none"}
                </td>
                <td data-label="Actions" className="row">
                  <button onClick={() => test(p.id)} disabled={probes[p.id] === "testing"}>
                    {probes[p.id] === "testing" ? "Testing…" : "Test connection"}
                  </button>
                  <button onClick={() => edit(p)}>Edit</button>
                  <button onClick={() => confirm(`Delete provider ${p.id}?`) && void act(trpc.providers.remove.mutate({ id: p.id }))}>Delete</button>
                  {probes[p.id] && probes[p.id] !== "testing" && <ProbeResult probe={probes[p.id] as Probe} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** What a connection test found, said in the row (and to screen readers as it arrives). */
const STRATEGIES = ["priority", "weighted", "least-busy", "latency", "price"] as const;
type Strategy = (typeof STRATEGIES)[number];

/** The routing settings: one strategy for every model, others per model id, and the chain's fallback. */
function RoutingSettings({ providers, onError }: { providers: string[]; onError: (message: string | null) => void }) {
  const [strategy, setStrategy] = useState<Strategy>("priority");
  /** "model = strategy", "model = fallback id" or both ("model = latency, fallback local"), a line each. */
  const [perModel, setPerModel] = useState("");
  const [fallback, setFallback] = useState("");
  const [saved, setSaved] = useState(false);
  const show = useCallback((r: Awaited<ReturnType<typeof trpc.routing.get.query>>) => {
    setStrategy(r.strategy ?? "priority");
    setPerModel(
      Object.entries(r.models ?? {})
        .map(([model, m]) => `${model} = ${[m.strategy, m.fallback && `fallback ${m.fallback}`].filter(Boolean).join(", ")}`)
        .join("\n"),
    );
    setFallback(r.fallback ?? "");
  }, []);
  useEffect(() => void trpc.routing.get.query().then(show, (e: Error) => onError(e.message)), [show, onError]);
  const save = () => {
    const models: Record<string, { strategy?: Strategy; fallback?: string }> = {};
    for (const [i, line] of perModel.split("\n").entries()) {
      if (!line.trim()) continue;
      const [model, settings = ""] = line.split("=").map((x) => x.trim());
      const entry: { strategy?: Strategy; fallback?: string } = {};
      let understood = true;
      for (const part of settings.split(",").map((x) => x.trim())) {
        const fallback = /^fallback\s+(\S+)$/.exec(part)?.[1];
        if (fallback) entry.fallback = fallback;
        else if (STRATEGIES.includes(part as Strategy)) entry.strategy = part as Strategy;
        else understood = false;
      }
      if (!model || !understood) {
        onError(`Per model, line ${i + 1}: write it as "model = ${STRATEGIES.join(" | ")}", "model = fallback <provider>", or both, separated by a comma`);
        return;
      }
      models[model] = entry;
    }
    trpc.routing.save.mutate({ strategy, models, ...(fallback ? { fallback } : {}) }).then(
      (r) => (show(r), setSaved(true), onError(null)),
      (e: Error) => onError(e.message),
    );
  };
  return (
    <form className="card" aria-label="routing settings" onSubmit={(e) => (e.preventDefault(), save())}>
      <h2>Routing</h2>
      <p className="muted">How requests that name no provider order the providers of their model.</p>
      <div className="row">
        <label>
          Strategy for every model
          <select name="strategy" value={strategy} onChange={(e) => (setStrategy(e.target.value as Strategy), setSaved(false))}>
            {STRATEGIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Fallback (tried last)
          <select name="fallback" value={fallback} onChange={(e) => (setFallback(e.target.value), setSaved(false))}>
            <option value="">none</option>
            {providers.map((id) => (
              <option key={id}>{id}</option>
            ))}
          </select>
        </label>
      </div>
      <label>
        Per model, a line each: a strategy, a fallback or both (m = latency, fallback local)
        <textarea name="per-model" rows={2} value={perModel} onChange={(e) => (setPerModel(e.target.value), setSaved(false))} />
      </label>
      <div className="row">
        <button type="submit">Save routing</button>
        {saved && <span className="good">Saved</span>}
      </div>
    </form>
  );
}

function ProbeResult({ probe }: { probe: Probe }) {
  return (
    <div className={probe.ok ? "good" : "bad"} data-test-result role="status" style={{ flexBasis: "100%" }}>
      {probe.ok ? "✓ " : "✗ "}
      {probe.capability ? `${probe.capability} · ${probe.model} · ${probe.latencyMs} ms` : "not tested"}
      {probe.status ? ` · HTTP ${probe.status}` : ""}
      <div>{probe.detail}</div>
    </div>
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
