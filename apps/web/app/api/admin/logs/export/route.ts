/**
 * GET /api/admin/logs/export?format=csv|jsonl&<filters>: the filtered request log as a file, in the table's order (newest first unless `sort`/`dir` say otherwise), read in
 * keyset pages and streamed (at most 100,000 rows). For the roles that may read the log; a team user gets their
 * share of it, as on the page.
 */
import type { RequestLogEntry } from "@interference/core";
import { getRuntime } from "@/lib/runtime";
import { cookieFrom, currentUser } from "@/lib/admin/session";
import { mayCall, TeamScope } from "@/lib/admin/access";
import { logFilterSchema, logSortSchema, toLogFilter } from "@/lib/log-filter";
import { exportResponse, jsonError as json } from "@/lib/export";

export const dynamic = "force-dynamic";

const COLUMNS = [
  "id",
  "time",
  "route",
  "method",
  "status",
  "model",
  "servedModel",
  "provider",
  "requestedProviders",
  "apiKeyId",
  "teamId",
  "latencyMs",
  "ttftMs",
  "promptTokens",
  "completionTokens",
  "totalTokens",
  "cost",
  "costEstimated",
  "stream",
  "attempts",
  "error",
  "endUser",
  "tags",
] as const satisfies ReadonlyArray<keyof RequestLogEntry>;

export async function GET(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  const { store } = runtime;
  const user = await currentUser(store, cookieFrom(request.headers.get("cookie")));
  if (!user) return json(401, "Sign in first.");
  if (!mayCall(user, "logs.list")) return json(403, "Your role may not read the request log.");
  const q = new URL(request.url).searchParams;
  const format = q.get("format") ?? "csv";
  if (format !== "csv" && format !== "jsonl") return json(400, "format must be csv or jsonl.");
  const parsed = logFilterSchema.safeParse({
    ...Object.fromEntries([...q.entries()].filter(([k, v]) => k !== "format" && k !== "failedOver" && v)),
    ...(q.get("failedOver") === "true" ? { failedOver: true } : {}),
  });
  const order = logSortSchema.safeParse({ ...(q.get("sort") ? { sort: q.get("sort") } : {}), ...(q.get("dir") ? { dir: q.get("dir") } : {}) });
  if (!parsed.success) return json(400, parsed.error.issues[0]!.message);
  if (!order.success) return json(400, "sort must be time, latency, cost or tokens, and dir asc or desc.");
  const filter = toLogFilter(
    parsed.data,
    runtime.gateway.registry.list().map((p) => p.config.id),
  );
  const sort = { by: order.data.sort, dir: order.data.dir };
  // A team user exports only their share of the log, as they see it on the page.
  const scope = new TeamScope(user);
  const visibleTo = scope.logVisibility(await store.apiKeys.list());
  const scoped = visibleTo ? { ...filter, visibleTo } : filter;
  return exportResponse<RequestLogEntry>({
    format,
    columns: COLUMNS,
    name: "requests",
    page: (cursor, limit) => store.logs.query(scoped, cursor, limit, sort),
  });
}
