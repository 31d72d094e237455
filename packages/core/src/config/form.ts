/**
 * The dashboard's provider form, as plain text fields, converted to and from the config file's own shape
 * (ProviderConfigInput, validated by normalizeProvider like any YAML entry). Saving a form unchanged gives back
 * the provider as it was: aliases, headers, timeouts, the display URL and type-specific options included.
 */
import type { ModelEntry, ProviderConfig, ProviderConfigInput, ProviderType } from "./schema.js";

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
  /** JSON of every other setting: headers, timeouts, retries, circuit_breaker, drop_params, url, prices, type options. */
  settings: string;
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
  if (Object.keys(config.headers).length) settings.headers = config.headers;
  if (config.timeouts && Object.keys(config.timeouts).length) settings.timeouts = config.timeouts;
  settings.retries = config.retries;
  settings.circuit_breaker = config.circuit_breaker;
  if (config.drop_params) settings.drop_params = true;
  if (config.url) settings.url = config.url;
  if (config.prices) settings.prices = config.prices;
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
    settings: JSON.stringify(sortKeys(settings), null, 2),
  };
}

/** Keys in a stable order: the database's JSON column does not keep the order they were written in. */
function sortKeys(value: unknown): unknown {
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
  return {
    ...(settings as Record<string, unknown>),
    id: form.id.trim(),
    type: form.type,
    ...(form.base_url.trim() ? { base_url: form.base_url.trim() } : {}),
    ...(form.api_key ? { api_key: form.api_key } : {}),
    models: parseModels(form.models),
    image_models: parseModels(form.image_models),
    embedding_models: parseModels(form.embedding_models),
    audio_models: parseModels(form.audio_models),
    enabled: form.enabled,
  } as ProviderConfigInput;
}
