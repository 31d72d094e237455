/**
 * Who a request is for and how a service labels it, as the log keeps them: the end user a service names
 * (`user` or `safety_identifier` on OpenAI's APIs, `metadata.user_id` on Anthropic's) and tags (OpenAI's
 * `metadata` pairs as "key:value", and the `x-interference-tags` header, comma-separated). Bounded: a client
 * cannot make a log row or a usage group large.
 */
import type { RequestLogEntry } from "./types.js";

export const TAGS_HEADER = "x-interference-tags";

const MAX_END_USER = 256;
const MAX_TAG = 100;
const MAX_TAGS = 20;

/** The end user the body names, or null. */
export function endUserOf(body: Record<string, unknown>): string | null {
  // No array or closure: this runs on every JSON request, and most name no one.
  const metadata = body.metadata;
  return (
    named(body.user) ??
    named(body.safety_identifier) ??
    (typeof metadata === "object" && metadata !== null ? named((metadata as Record<string, unknown>).user_id) : null)
  );
}

const named = (value: unknown): string | null => {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed ? trimmed.slice(0, MAX_END_USER) : null;
};

/** The header's tags and the body's metadata pairs (not `user_id`: that is the end user), de-duplicated, or null. */
export function tagsOf(header: string | string[] | undefined, metadata?: unknown): string[] | null {
  const hasMetadata = typeof metadata === "object" && metadata !== null && !Array.isArray(metadata);
  if (!header && !hasMetadata) return null; // the common case: nothing to gather, nothing allocated
  const tags = new Set<string>();
  const add = (tag: string) => {
    const t = tag.trim().slice(0, MAX_TAG);
    if (t && tags.size < MAX_TAGS) tags.add(t);
  };
  for (const h of [header ?? []].flat()) for (const t of h.split(",")) add(t);
  if (hasMetadata) {
    for (const [k, v] of Object.entries(metadata))
      if (k !== "user_id" && (typeof v === "string" || typeof v === "number" || typeof v === "boolean")) add(`${k}:${String(v)}`);
  }
  return tags.size ? [...tags] : null;
}

/** Sets a log row's end user and tags from a request's JSON body and its tags header. */
export function attribute(entry: RequestLogEntry, body: Record<string, unknown>, header: string | string[] | undefined): void {
  const endUser = endUserOf(body);
  const tags = tagsOf(header, body.metadata);
  if (endUser) entry.endUser = endUser;
  if (tags) entry.tags = tags;
}
