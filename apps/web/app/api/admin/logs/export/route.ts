/**
 * GET /api/admin/logs/export?format=csv|jsonl&<filters>: the filtered request log as a file, in the table's order (newest first unless `sort`/`dir` say otherwise), read in
 * keyset pages and streamed (at most EXPORT_MAX_ROWS rows). Needs an admin session, like every dashboard call.
 */
import type { RequestLogEntry } from "@interference/core";
import { getRuntime } from "@/lib/runtime";
import { cookieFrom, isValidSession } from "@/lib/admin/session";
import { logFilterSchema, logSortSchema, toLogFilter } from "@/lib/log-filter";
import { csvField } from "@/lib/csv";

export const dynamic = "force-dynamic";

const EXPORT_MAX_ROWS = 100_000;
const PAGE = 500;
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
] as const satisfies ReadonlyArray<keyof RequestLogEntry>;

function json(status: number, message: string): Response {
  return Response.json({ error: { message, type: "invalid_request_error", param: null, code: null } }, { status });
}

export async function GET(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  const { store } = runtime;
  if (!(await isValidSession(store, cookieFrom(request.headers.get("cookie"))))) return json(401, "Sign in first.");
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
  const encoder = new TextEncoder();
  let cursor: string | null = null;
  let sent = 0;
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        if (format === "csv") controller.enqueue(encoder.encode(`${COLUMNS.join(",")}\r\n`));
      }
      const page = await store.logs.query(filter, cursor, Math.min(PAGE, EXPORT_MAX_ROWS - sent), sort);
      let chunk = "";
      for (const row of page.rows) {
        chunk += format === "csv" ? `${COLUMNS.map((c) => csvField(row[c])).join(",")}\r\n` : `${JSON.stringify(row)}\n`;
      }
      sent += page.rows.length;
      if (chunk) controller.enqueue(encoder.encode(chunk));
      cursor = page.nextCursor;
      if (!cursor || sent >= EXPORT_MAX_ROWS) controller.close();
    },
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(body, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="requests-${stamp}.${format}"`,
      "cache-control": "no-store",
    },
  });
}
