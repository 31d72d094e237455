/**
 * The dashboard's provider form, as plain text fields, converted to and from the config file's own shape
 * (ProviderConfigInput, validated by normalizeProvider like any YAML entry). Saving a form unchanged gives back
 * the provider as it was: aliases, headers, timeouts, the display URL and type-specific options included.
 */
import type { ModelEntry, ProviderConfig, ProviderConfigInput, ProviderType } from "./schema.js";
import { ConfigError, normalizeProvider } from "./load.js";

export interface ProviderForm {
  id: string;
  type: ProviderType;
  base_url: string;
  /** Write-only: empty keeps the stored key. */
  api_key: string;
  /** "gpt-4o-mini, cheap=gpt-4o": an alias is written `id=upstream`. */
  models: string;
  image_models: string;
  embedding_models: string;
  audio_models: string;
  enabled: boolean;
  /** Extra upstream headers, a "Name: value" per line; a secret-looking header's value is masked (write-only). */
  headers: string;
  /** Milliseconds, as typed; empty: the gateway's default. */
  timeouts: Record<TimeoutField, string>;
  drop_params: boolean;
  /** JSON of every other setting: retries, circuit_breaker, url, prices, weight, data_collection, stream_recovery, context_windows, type options. */
  settings: string;
}

export const TIMEOUT_FIELDS = ["connect_ms", "first_byte_ms", "idle_ms", "total_ms"] as const;
export type TimeoutField = (typeof TIMEOUT_FIELDS)[number];

/** What the form shows for a header value it keeps to itself; saved unchanged, the stored value stays. */
export const MASKED_VALUE = "••••••••";
/** Headers whose values are credentials (a gateway in front, a custom auth scheme): never sent to the browser. */
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|password|cookie|signature|credential/i;

/** A provider's credentials: its key and the values of its credential headers (to redact wherever they show). */
export function providerSecrets(config: Pick<ProviderConfig, "api_key" | "headers">): string[] {
  const headers = Object.entries(config.headers ?? {}).filter(([name]) => SECRET_HEADER.test(name));
  return [config.api_key, ...headers.map(([, v]) => v)].filter((v): v is string => !!v && v.length >= 6);
}

function headersText(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${SECRET_HEADER.test(name) ? MASKED_VALUE : value}`)
    .join("\n");
}

export function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`headers, line ${i + 1}: write it as "Name: value"`);
    out[name] = line.slice(colon + 1).trim();
  }
  return out;
}

/**
 * The stored values of headers the form showed masked and the admin left so. Throws for a masked header that has
 * no stored value (a new one must be typed in).
 */
export function restoreMaskedHeaders(headers: Record<string, string>, previous: Record<string, string> | undefined): Record<string, string> {
  const out = { ...headers };
  for (const [name, value] of Object.entries(out)) {
    if (value !== MASKED_VALUE) continue;
    const stored = Object.entries(previous ?? {}).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
    if (stored === undefined) throw new Error(`headers: type the value of ${name}`);
    out[name] = stored;
  }
  return out;
}

const modelsText = (list: readonly ModelEntry[]) => list.map((m) => (m.id === m.upstream ? m.id : `${m.id}=${m.upstream}`)).join(", ");

export function parseModels(text: string): Array<string | { id: string; upstream: string }> {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf("=");
      return eq > 0 && eq < entry.length - 1 ? { id: entry.slice(0, eq), upstream: entry.slice(eq + 1) } : entry;
    });
}

export function toProviderForm(config: ProviderConfig): ProviderForm {
  const settings: Record<string, unknown> = { ...config.options };
  settings.retries = config.retries;
  settings.circuit_breaker = config.circuit_breaker;
  if (config.url) settings.url = config.url;
  if (config.prices) settings.prices = config.prices;
  settings.weight = config.weight;
  settings.data_collection = config.data_collection;
  if (config.stream_recovery) settings.stream_recovery = config.stream_recovery;
  // The models' text fields hold ids and aliases; their context windows ride along here, by model id.
  const windows = Object.fromEntries(
    [...config.models, ...config.image_models, ...config.embedding_models, ...config.audio_models]
      .filter((m) => m.context_window !== undefined)
      .map((m) => [m.id, m.context_window]),
  );
  if (Object.keys(windows).length) settings.context_windows = windows;
  return {
    id: config.id,
    type: config.type,
    base_url: config.type === "local" ? "" : config.base_url,
    api_key: "",
    models: modelsText(config.models),
    image_models: modelsText(config.image_models),
    embedding_models: modelsText(config.embedding_models),
    audio_models: modelsText(config.audio_models),
    enabled: config.enabled,
    headers: headersText(config.headers),
    timeouts: Object.fromEntries(
      TIMEOUT_FIELDS.map((f) => [f, config.timeouts?.[f] === undefined ? "" : String(config.timeouts[f])]),
    ) as ProviderForm["timeouts"],
    drop_params: config.drop_params,
    settings: JSON.stringify(sortKeys(settings), null, 2),
  };
}

/** Keys in a stable order: the database's JSON column does not keep the order they were written in. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Everything wrong with a provider form at once, each a line "field: what it must be" (empty: nothing): its
 * timeouts, its settings JSON, and what the provider schema refuses, so an admin fixes them all in one go.
 */
export function providerFormProblems(form: ProviderForm): string[] {
  const problems: string[] = [];
  // The valid timeouts go on to the checks below, the others are named here.
  const timeouts = Object.fromEntries(TIMEOUT_FIELDS.map((f) => [f, ""])) as Record<TimeoutField, string>;
  for (const f of TIMEOUT_FIELDS) {
    const text = form.timeouts?.[f]?.trim();
    if (text && !validMs(text)) problems.push(timeoutProblem(f));
    else if (text) timeouts[f] = text;
  }
  let input: ProviderConfigInput;
  try {
    input = fromProviderForm({ ...form, timeouts });
  } catch (err) {
    return [...problems, (err as Error).message];
  }
  try {
    normalizeProvider(input);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.message.replace(/^provider[^:]*: /, "").split("\n"));
  }
  return problems;
}

const validMs = (text: string) => /^\d+$/.test(text) && Number(text) > 0;
const timeoutProblem = (f: TimeoutField) => `timeouts.${f}: a whole number of milliseconds`;

/** The form as a config-file entry; throws when the settings are not a JSON object. */
export function fromProviderForm(form: ProviderForm): ProviderConfigInput {
  let settings: unknown = {};
  if (form.settings.trim()) {
    try {
      settings = JSON.parse(form.settings);
    } catch (err) {
      throw new Error(`settings: not valid JSON (${(err as Error).message})`);
    }
  }
  if (!settings || typeof settings !== "object" || Array.isArray(settings)) throw new Error("settings: must be a JSON object");
  const { context_windows: windowsSetting, ...rest } = settings as Record<string, unknown>;
  const windows = (windowsSetting ?? {}) as Record<string, unknown>;
  if (typeof windows !== "object" || Array.isArray(windows)) throw new Error("settings.context_windows: an object of model id → tokens");
  const models = (text: string) =>
    parseModels(text).map((m) => {
      const id = typeof m === "string" ? m : m.id;
      const window = windows[id];
      if (window === undefined) return m;
      return { ...(typeof m === "string" ? { id: m } : m), context_window: window };
    });
  // The dedicated fields over the same keys in the JSON (which older forms used for them).
  const timeouts: Record<string, unknown> = { ...(rest.timeouts as object | undefined) };
  for (const f of TIMEOUT_FIELDS) {
    const text = form.timeouts?.[f]?.trim();
    if (!text) continue;
    if (!validMs(text)) throw new Error(timeoutProblem(f));
    timeouts[f] = Number(text);
  }
  return {
    ...rest,
    headers: { ...(rest.headers as object | undefined), ...parseHeaders(form.headers ?? "") },
    ...(Object.keys(timeouts).length ? { timeouts } : {}),
    drop_params: form.drop_params ?? rest.drop_params ?? false,
    id: form.id.trim(),
    type: form.type,
    ...(form.base_url.trim() ? { base_url: form.base_url.trim() } : {}),
    ...(form.api_key ? { api_key: form.api_key } : {}),
    models: models(form.models),
    image_models: models(form.image_models),
    embedding_models: models(form.embedding_models),
    audio_models: models(form.audio_models),
    enabled: form.enabled,
  } as ProviderConfigInput;
}
