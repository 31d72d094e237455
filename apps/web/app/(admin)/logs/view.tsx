"use client";
import { useCallback, useEffect, useRef, useState } from "react";
import { trpc } from "@/lib/trpc/client";
import ErrorAlert from "../error-alert";
import { useMe } from "../me";
import { replayPath } from "@/lib/answer-text";

type Page = Awaited<ReturnType<typeof trpc.logs.list.query>>;
type Row = Page["rows"][number];
type Key = Awaited<ReturnType<typeof trpc.keys.list.query>>[number];
type Team = Awaited<ReturnType<typeof trpc.teams.list.query>>[number];
type Bodies = Awaited<ReturnType<typeof trpc.logs.bodies.query>>;

/** The filters and order as the URL and the form hold them: text, and times in the admin's own time zone. */
const FILTERS = ["q", "provider", "model", "status", "apiKeyId", "teamId", "endUser", "tag", "since", "from", "to", "failedOver", "sort", "dir"] as const;
type Filter = Partial<Record<(typeof FILTERS)[number], string>>;
type SortBy = "time" | "latency" | "cost" | "tokens";

const LABELS: Record<Exclude<(typeof FILTERS)[number], "sort" | "dir">, string> = {
  q: "Search (id, model, route, error)",
  provider: "Provider (any tried)",
  model: "Model",
  status: "Status",
  apiKeyId: "API key",
  teamId: "Team",
  since: "Time",
  from: "From (your time)",
  to: "To (your time)",
  failedOver: "Failed over only",
  endUser: "End user",
  tag: "Tag",
};

/** Time presets, back from the moment the filter runs; "today" starts at the admin's own midnight. */
const PRESETS: Record<string, string> = { "15m": "last 15 minutes", "1h": "last hour", "24h": "last 24 hours", "7d": "last 7 days", today: "today" };
function presetStart(since: string): Date | null {
  if (since === "today") {
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    return midnight;
  }
  const m = /^(\d+)([mhd])$/.exec(since);
  return m ? new Date(Date.now() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"]) : null;
}

function filterFromUrl(): { filter: Filter; open: string | null } {
  const q = new URLSearchParams(window.location.search);
  const filter: Filter = {};
  for (const f of FILTERS) if (q.get(f)) filter[f] = q.get(f)!;
  return { filter, open: q.get("request") };
}

/** Filters and the open request in the URL: a view can be shared, reloaded and gone back to. */
function writeUrl(filter: Filter, open: string | null): void {
  const q = new URLSearchParams();
  for (const f of FILTERS) if (filter[f]) q.set(f, filter[f]!);
  if (open) q.set("request", open);
  const url = `${window.location.pathname}${q.size ? `?${q}` : ""}`;
  if (url !== `${window.location.pathname}${window.location.search}`) window.history.replaceState(null, "", url);
}

/** A datetime-local value is the browser's local time: sent to the server as the instant it means. */
const instant = (local: string | undefined) => (local ? new Date(local).toISOString() : undefined);

/** The filter as the server takes it (tRPC and the export alike). A preset wins over a typed "from". */
function toQuery(filter: Filter) {
  const since = filter.since ? presetStart(filter.since) : null;
  return {
    ...(filter.q ? { q: filter.q } : {}),
    ...(filter.provider ? { provider: filter.provider } : {}),
    ...(filter.model ? { model: filter.model } : {}),
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.apiKeyId ? { apiKeyId: filter.apiKeyId } : {}),
    ...(filter.teamId ? { teamId: filter.teamId } : {}),
    ...(filter.endUser ? { endUser: filter.endUser } : {}),
    ...(filter.tag ? { tag: filter.tag } : {}),
    ...(filter.failedOver === "true" ? { failedOver: true } : {}),
    ...(since ? { from: since.toISOString() } : filter.from ? { from: instant(filter.from) } : {}),
    ...(filter.to && !since ? { to: instant(filter.to) } : {}),
    // "" is how the URL and the Time header say "the default order": never sent as a sort of its own.
    sort: (filter.sort || "time") as SortBy,
    dir: (filter.dir === "asc" ? "asc" : "desc") as "asc" | "desc",
  };
}

/** The export of what the table shows, every page of it, in its order. */
function exportUrl(filter: Filter, format: "csv" | "jsonl"): string {
  const q = new URLSearchParams({ format });
  for (const [k, v] of Object.entries(toQuery(filter))) q.set(k, String(v));
  return `/api/admin/logs/export?${q}`;
}

/** How often the live tail asks for new rows. */
const LIVE_TAIL_MS = 3000;

export default function LogsView() {
  /** What the form shows, and what the table was asked for: queries run on submit, not on every keystroke. */
  const [draft, setDraft] = useState<Filter>({});
  const [applied, setApplied] = useState<Filter | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [detail, setDetail] = useState<Row | null>(null);
  const [bodies, setBodies] = useState<Bodies | null>(null);
  /** A streamed answer: its raw events rather than the answer put back together. */
  const [rawEvents, setRawEvents] = useState(false);
  const [keys, setKeys] = useState<Key[]>([]);
  const canReplay = useMe()?.pages.includes("/playground") ?? false;
  const [teams, setTeams] = useState<Team[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Live tail: the newest rows fetched every few seconds and put on top (time order only). */
  const [live, setLive] = useState(false);
  /** Only the newest query's answer is shown: an older one that arrives late is dropped. */
  const latest = useRef(0);
  const panel = useRef<HTMLElement>(null);

  useEffect(() => {
    const { filter, open } = filterFromUrl();
    setDraft(filter);
    setApplied(filter);
    if (open) void trpc.logs.get.query({ id: open }).then(setDetail, () => undefined);
    trpc.keys.list.query().then(setKeys, () => undefined);
    trpc.teams.list.query().then(setTeams, () => undefined);
  }, []);

  const load = useCallback((filter: Filter, from: string | null, append: boolean) => {
    const ticket = ++latest.current;
    setError(null);
    return trpc.logs.list.query({ ...toQuery(filter), cursor: from, limit: 50 }).then(
      (page) => {
        if (ticket !== latest.current) return;
        setRows((r) => (append ? [...r, ...page.rows] : page.rows));
        setCursor(page.nextCursor);
        if (page.total !== null) setTotal(page.total);
      },
      (e: Error) => {
        if (ticket !== latest.current) return;
        // What the table showed answered another filter: it goes, so no stale rows or count sit under the error.
        setError(e.message);
        setRows([]);
        setCursor(null);
        setTotal(null);
      },
    );
  }, []);
  useEffect(() => {
    if (applied) void load(applied, null, false);
  }, [applied, load]);
  useEffect(() => {
    if (applied) writeUrl(applied, detail?.id ?? null);
  }, [applied, detail]);
  // Newest first is the only order new rows have a place in.
  const tailable = !!applied && (applied.sort ?? "time") === "time" && applied.dir !== "asc";
  useEffect(() => {
    if (!live || !tailable || !applied) return;
    const timer = setInterval(() => {
      trpc.logs.list.query({ ...toQuery(applied), cursor: null, limit: 50 }).then(
        (page) => {
          setRows((shown) => {
            const known = new Set(shown.map((r) => r.id));
            const fresh = page.rows.filter((r) => !known.has(r.id));
            return fresh.length ? [...fresh, ...shown] : shown;
          });
          if (page.total !== null) setTotal(page.total);
        },
        () => undefined, // a missed beat: the next one tries again
      );
    }, LIVE_TAIL_MS);
    return () => clearInterval(timer);
  }, [live, tailable, applied]);
  useEffect(() => {
    if (detail) panel.current?.focus();
    setBodies(null);
    if (!detail) return;
    let current = true;
    trpc.logs.bodies.query({ id: detail.id }).then(
      (b) => current && setBodies(b),
      () => undefined,
    );
    return () => void (current = false);
  }, [detail]);

  const keyName = (id: string | null) => (id ? (keys.find((k) => k.id === id)?.name ?? id) : null);
  const teamName = (id: string | null) => (id ? (teams.find((t) => t.id === id)?.name ?? id) : null);

  /** A column header that orders the table by its column: once descending, again ascending. */
  const sortable = (by: SortBy, label: string) => {
    const current = (applied?.sort || "time") === by;
    const dir = current ? (applied?.dir === "asc" ? "asc" : "desc") : null;
    const next = current && dir === "desc" ? "asc" : "desc";
    return (
      <th aria-sort={dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none"}>
        <button
          type="button"
          className="th-sort"
          data-sort={by}
          onClick={() => {
            const order = { sort: by === "time" ? "" : by, dir: next === "desc" ? "" : next };
            setDraft((d) => ({ ...d, ...order }));
            setApplied((a) => ({ ...a, ...order }));
          }}
        >
          {label} {dir === "asc" ? "▲" : dir === "desc" ? "▼" : ""}
        </button>
      </th>
    );
  };

  return (
    <>
      <h1>Request logs</h1>
      <form className="row card" onSubmit={(e) => (e.preventDefault(), setApplied({ ...draft }))} aria-label="filters">
        {(Object.keys(LABELS) as Array<keyof typeof LABELS>).map((f) => (
          <label key={f}>
            {LABELS[f]}
            {f === "failedOver" ? (
              <input
                name={f}
                type="checkbox"
                checked={draft.failedOver === "true"}
                onChange={(e) => setDraft({ ...draft, failedOver: e.target.checked ? "true" : "" })}
              />
            ) : f === "apiKeyId" || f === "teamId" || f === "since" ? (
              <select
                name={f}
                value={draft[f] ?? ""}
                // A preset replaces a typed range, and a typed range the preset.
                onChange={(e) => setDraft({ ...draft, [f]: e.target.value, ...(f === "since" && e.target.value ? { from: "", to: "" } : {}) })}
              >
                <option value="">{f === "apiKeyId" ? "any key" : f === "teamId" ? "any team" : "any time / custom"}</option>
                {(f === "apiKeyId" ? keys : f === "teamId" ? teams : Object.entries(PRESETS).map(([id, name]) => ({ id, name }))).map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
              </select>
            ) : (
              <input
                name={f}
                type={f === "from" || f === "to" ? "datetime-local" : f === "q" ? "search" : "text"}
                placeholder={f === "status" ? "429, 5xx" : f === "tag" ? "feature:search" : ""}
                value={draft[f] ?? ""}
                onChange={(e) => setDraft({ ...draft, [f]: e.target.value, ...((f === "from" || f === "to") && e.target.value ? { since: "" } : {}) })}
              />
            )}
          </label>
        ))}
        {/* On a line of its own, at the left: never under the request detail that opens on the right. */}
        <div style={{ flexBasis: "100%" }}>
          <button className="primary" type="submit">
            Filter
          </button>
        </div>
      </form>
      {applied && (
        <p className="row" style={{ alignItems: "center" }}>
          <span data-total>{total === null ? "" : `${total} request${total === 1 ? "" : "s"} match`}</span>
          <button
            type="button"
            aria-pressed={live && tailable}
            disabled={!tailable}
            onClick={() => setLive(!live)}
            title={tailable ? undefined : "Live tail shows the newest requests first: sort by time, newest first"}
          >
            {live && tailable ? "Pause live tail" : "Live tail"}
          </button>
          {live && tailable && (
            <span className="muted" aria-live="polite" data-live>
              live · every {LIVE_TAIL_MS / 1000} s
            </span>
          )}
          <a href={exportUrl(applied, "csv")} download>
            Export CSV
          </a>
          <a href={exportUrl(applied, "jsonl")} download>
            Export JSONL
          </a>
        </p>
      )}
      <ErrorAlert error={error} />
      {detail && (
        <aside className="card detail-panel" aria-label="request detail" tabIndex={-1} ref={panel}>
          <div className="row" style={{ justifyContent: "space-between" }}>
            <h2>Request {detail.id}</h2>
            <button onClick={() => setDetail(null)}>Close</button>
          </div>
          <p>
            {new Date(detail.time).toLocaleString()} · {detail.method} {detail.route} · status {detail.status} · {detail.latencyMs} ms
            {detail.ttftMs != null && ` · first token ${detail.ttftMs} ms`}
          </p>
          <p>
            Model {detail.model ?? "(default)"} → {detail.servedModel ?? "–"} · requested providers: {detail.requestedProviders ?? "(any)"} · key{" "}
            {keyName(detail.apiKeyId) ?? "none"} · team {teamName(detail.teamId) ?? "none"}
          </p>
          {canReplay && replayPath(detail.route) !== null && bodies?.bodies?.request && !bodies.bodies.truncated && (
            <p>
              <a href={`/playground?replay=${encodeURIComponent(detail.id)}`}>Replay in the playground</a>{" "}
              <span className="muted">(send its stored body again, to another provider, and compare)</span>
            </p>
          )}
          {(detail.endUser || detail.tags?.length) && (
            <p data-attribution>
              {detail.endUser && <>End user {detail.endUser}</>}
              {detail.endUser && detail.tags?.length ? " · " : ""}
              {detail.tags?.length ? <>tags {detail.tags.join(", ")}</> : null}
            </p>
          )}
          {chainOf(detail.attempts).length > 0 && <h3>Providers tried, in order</h3>}
          <ol hidden={chainOf(detail.attempts).length === 0} data-chain>
            {chainOf(detail.attempts).map((tries, i) => {
              const last = tries.at(-1)!;
              return (
                <li key={i} className={last.outcome === "served" ? "good" : last.outcome === "failed" ? "bad" : "muted"} data-provider={last.provider}>
                  {tries.length === 1 ? (
                    <Attempt a={last} />
                  ) : (
                    <>
                      {last.provider}: {tries.length} tries
                      <ol data-tries>
                        {tries.map((a, j) => (
                          <li key={j} className={a.outcome === "served" ? "good" : "bad"}>
                            <Attempt a={a} />
                          </li>
                        ))}
                      </ol>
                    </>
                  )}
                </li>
              );
            })}
          </ol>
          {detail.attempts.some((a) => a.planned) && (
            <>
              <h3>Passed over while planning</h3>
              <ul data-passed-over>
                {detail.attempts
                  .filter((a) => a.planned)
                  .map((a, i) => (
                    <li key={i} className="muted">
                      {a.provider}: {a.reason}
                    </li>
                  ))}
              </ul>
            </>
          )}
          {detail.routing && (
            <p className="muted" data-routing>
              Routing:{" "}
              {detail.routing.models
                .map(
                  (m) =>
                    `${m.model ?? "(default model)"} by ${m.strategy}${m.order.length ? ` after the client's order ${m.order.join(", ")}` : ""}` +
                    (Object.keys(m.scores).length
                      ? ` (${Object.entries(m.scores)
                          .map(([id, score]) => `${id} ${score ?? "–"}`)
                          .join(", ")})`
                      : "") +
                    (m.explored ? `, exploring ${m.explored}` : ""),
                )
                .join("; ")}
              {detail.routing.fallback && ` · fallback ${detail.routing.fallback}`}
              {detail.routing.prompt_tokens !== undefined && ` · prompt about ${detail.routing.prompt_tokens} tokens`}
              {detail.routing.policy && ` · policy ${detail.routing.policy}`}
            </p>
          )}
          {detail.routing?.continued && (
            <p data-continued>
              Answer continued: {detail.routing.continued.providers[0]} wrote characters 0–{detail.routing.continued.seams[0]}
              {detail.routing.continued.providers
                .slice(1)
                .map((p, i) => `, then ${p} from character ${detail.routing!.continued!.seams[i]}`)
                .join("")}{" "}
              (usage and cost add every part).
            </p>
          )}
          {detail.error && <p className="bad">Error: {detail.error}</p>}
          {(detail.cache === "hit" || detail.cache === "semantic-hit") && (
            <p data-cache-hit>
              Answered from the response cache ({detail.cache === "hit" ? "exact match" : "similar prompt"}), entry <code>{detail.cacheEntryId}</code>: saved{" "}
              {usd(detail.cacheSaved ?? null, false)}.
            </p>
          )}
          {(detail.cache === "miss" || detail.cache === "skip") && (
            <p className="muted" data-cache>
              Response cache: {detail.cache === "miss" ? "looked up, not found (the answer was stored if it could be)" : "not looked up (no-cache)"}.
            </p>
          )}
          <p className="muted">
            Tokens: {detail.promptTokens ?? "–"} in, {detail.completionTokens ?? "–"} out · cost {usd(detail.cost, detail.costEstimated)}
            {detail.audioBytes != null && ` · audio ${detail.audioBytes} bytes`}
            {detail.audioSeconds != null && `, ${detail.audioSeconds} s`}
          </p>
          {bodies && !bodies.storing && !bodies.bodies && (
            <p className="muted" data-bodies-off>
              Request and response bodies are not stored (set LOG_BODIES=true to keep them).
            </p>
          )}
          {bodies?.bodies && (
            <>
              <h3>Request body</h3>
              <pre className="body" data-body="request">
                {pretty(bodies.bodies.request) ?? "(none)"}
              </pre>
              <h3>Response body</h3>
              {bodies.assembled && (
                <label className="row">
                  <input type="checkbox" name="rawEvents" checked={rawEvents} onChange={(e) => setRawEvents(e.target.checked)} />
                  show the raw events
                </label>
              )}
              {bodies.assembled && !rawEvents ? (
                <div data-body="assembled">
                  {!bodies.assembled.complete && <p className="bad">The stream was cut short (or the body at its cap): this is what arrived.</p>}
                  {bodies.assembled.choices.map((c, i) => (
                    <div key={i} data-choice={i}>
                      {bodies.assembled!.choices.length > 1 && <h4>Answer {i + 1}</h4>}
                      {c.reasoning && <pre className="body muted">{c.reasoning}</pre>}
                      <pre className="body">{c.text || "(no text)"}</pre>
                      {c.toolCalls.map((t, j) => (
                        <pre key={j} className="body" data-tool-call={t.name}>
                          {t.name}({pretty(t.arguments)})
                        </pre>
                      ))}
                      <p className="muted">finish: {c.finish}</p>
                    </div>
                  ))}
                </div>
              ) : (
                <pre className="body" data-body="response">
                  {pretty(bodies.bodies.response) ?? "(none)"}
                </pre>
              )}
              {bodies.bodies.truncated && <p className="muted">Cut at the size cap (LOG_BODY_MAX_CHARS).</p>}
            </>
          )}
        </aside>
      )}
      <table className="cards">
        <thead>
          <tr>
            {sortable("time", "Time")}
            <th>Route</th>
            <th>Model</th>
            <th>Provider</th>
            <th>Status</th>
            {sortable("latency", "Latency")}
            {sortable("tokens", "Tokens")}
            {sortable("cost", "Cost")}
            <th>Key</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.id}
              onClick={() => setDetail(r)}
              onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), setDetail(r))}
              tabIndex={0}
              aria-label={`request ${r.id}: ${r.route}, status ${r.status}`}
              style={{ cursor: "pointer" }}
              data-log={r.id}
            >
              <td data-label="Time">{new Date(r.time).toLocaleString()}</td>
              <td data-label="Route">
                {r.route}
                {r.stream && <span className="pill">stream</span>}
                {(r.cache === "hit" || r.cache === "semantic-hit") && (
                  <span className="pill" title={`from cache entry ${r.cacheEntryId}`}>
                    cached
                  </span>
                )}
              </td>
              <td data-label="Model">{r.model ?? <span className="muted">default</span>}</td>
              <td data-label="Provider">{r.provider ?? <span className="bad">none</span>}</td>
              <td data-label="Status" className={r.status >= 400 ? "bad" : "good"}>
                {r.status}
              </td>
              <td data-label="Latency">{r.latencyMs} ms</td>
              <td data-label="Tokens">{r.totalTokens ?? "–"}</td>
              <td data-label="Cost">{usd(r.cost, r.costEstimated)}</td>
              <td data-label="Key" className="muted" data-key-name>
                {keyName(r.apiKeyId) ?? "–"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !error && <p className="muted">No requests match.</p>}
      {cursor && applied && (
        <button style={{ marginTop: 12 }} onClick={() => void load(applied, cursor, true)}>
          Older
        </button>
      )}
    </>
  );
}

/** JSON indented for reading; anything else (a stream, a cut body) as stored. */
function pretty(text: string | null): string | null {
  if (text === null) return null;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** "$0.000092", "≈$0.0004" for a cut stream's estimate, "–" when the model has no price. */
type LoggedAttempt = Row["attempts"][number];

/**
 * The chain as tried: the attempts after planning, in order, a provider's retries grouped under it. Rows logged
 * before `planned` existed put every skip here, as they were.
 */
function chainOf(attempts: LoggedAttempt[]): LoggedAttempt[][] {
  const chain: LoggedAttempt[][] = [];
  for (const a of attempts) {
    if (a.planned) continue;
    const previous = chain.at(-1);
    if (previous && previous[0]!.provider === a.provider && previous.at(-1)!.outcome === "failed" && a.outcome !== "skipped") previous.push(a);
    else chain.push([a]);
  }
  return chain;
}

/** One attempt: its provider, outcome, why, how long, and why it was where it was. */
function Attempt({ a }: { a: LoggedAttempt }) {
  return (
    <>
      {a.provider}: {a.outcome}
      {a.reason ? ` — ${a.reason}` : ""}
      {a.latency_ms != null ? ` (${a.latency_ms} ms)` : ""}
      {a.chosen ? <span className="muted"> · chosen: {a.chosen}</span> : null}
      {a.fallback ? <strong data-fallback> · the configured fallback</strong> : null}
    </>
  );
}

function usd(cost: number | null, estimated: boolean): string {
  if (cost === null) return "–";
  if (cost > 0 && cost < 0.000001) return `${estimated ? "≈" : ""}<$0.000001`;
  const digits = cost >= 0.01 ? 4 : 6;
  return `${estimated ? "≈" : ""}$${cost.toFixed(digits).replace(/0+$/, "").replace(/\.$/, "")}`;
}
