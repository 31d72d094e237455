/**
 * The request-log filter as the dashboard sends it (tRPC input and the export's query string alike), checked, and
 * turned into the store's LogFilter.
 */
import { z } from "zod";
import type { LogFilter } from "@interference/db";

export const logFilterSchema = z.object({
  provider: z.string().optional(),
  model: z.string().optional(),
  // Codes and classes, separated by commas or spaces; anything else is said, not silently ignored.
  status: z
    .string()
    .trim()
    .regex(/^$|^[1-5](\d\d|xx)([\s,]+[1-5](\d\d|xx))*$/i, "Status must be codes such as 200 or 429, or classes such as 4xx or 5xx, separated by commas.")
    .optional(),
  apiKeyId: z.string().optional(),
  teamId: z.string().optional(),
  /** The end user a service named (`user`, `safety_identifier`), exactly. */
  endUser: z.string().trim().max(256).optional(),
  /** A tag (`x-interference-tags`, or a `metadata` pair as "key:value"), exactly. */
  tag: z.string().trim().max(100).optional(),
  /** Free text, found in ids, routes, models, providers and errors. */
  q: z.string().trim().max(200, "Search text: at most 200 characters.").optional(),
  failedOver: z.boolean().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
/** How the table is ordered: by time (newest first by default), latency, cost or tokens. */
export const logSortSchema = z.object({
  sort: z.enum(["time", "latency", "cost", "tokens"]).default("time"),
  dir: z.enum(["asc", "desc"]).default("desc"),
});

export type LogFilterInput = z.infer<typeof logFilterSchema>;

/**
 * The filter as the log store takes it. The provider box matches ids without regard to case and by their start
 * ("oll" finds "ollama" and "Ollama-2"), among `knownProviders`; the text itself too, for a provider since removed.
 */
export function toLogFilter(input: LogFilterInput, knownProviders: readonly string[] = []): LogFilter {
  const typed = input.provider?.trim().toLowerCase();
  const providers = typed ? [...new Set([input.provider!.trim(), ...knownProviders.filter((id) => id.toLowerCase().startsWith(typed))])] : [];
  return {
    ...(providers.length ? { provider: providers } : {}),
    ...(input.model ? { model: input.model } : {}),
    ...(input.status ? { status: input.status.split(/[\s,]+/).filter(Boolean) } : {}),
    ...(input.apiKeyId ? { apiKeyId: input.apiKeyId } : {}),
    ...(input.teamId ? { teamId: input.teamId } : {}),
    ...(input.endUser ? { endUser: input.endUser } : {}),
    ...(input.tag ? { tag: input.tag } : {}),
    ...(input.q ? { text: input.q } : {}),
    ...(input.failedOver ? { failedOver: true } : {}),
    ...(input.from ? { from: new Date(input.from) } : {}),
    ...(input.to ? { to: new Date(input.to) } : {}),
  };
}
