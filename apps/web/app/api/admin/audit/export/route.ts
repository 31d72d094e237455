/**
 * GET /api/admin/audit/export?format=csv|jsonl&<filters>: the filtered audit log as a file, newest first, read in
 * keyset pages and streamed. For the roles that may read the audit log (lib/admin/access.ts).
 */
import type { AuditEntry } from "@interference/db";
import { getRuntime } from "@/lib/runtime";
import { cookieFrom, currentUser } from "@/lib/admin/session";
import { mayCall } from "@/lib/admin/access";
import { auditFilterSchema, toAuditFilter } from "@/lib/audit-filter";
import { exportResponse, jsonError } from "@/lib/export";

export const dynamic = "force-dynamic";

const COLUMNS = ["id", "time", "actorId", "actorEmail", "address", "action", "target", "changes"] as const satisfies ReadonlyArray<keyof AuditEntry>;

export async function GET(request: Request): Promise<Response> {
  const { store } = await getRuntime();
  const user = await currentUser(store, cookieFrom(request.headers.get("cookie")));
  if (!user) return jsonError(401, "Sign in first.");
  if (!mayCall(user, "audit.list")) return jsonError(403, "Your role may not read the audit log.");
  const q = new URL(request.url).searchParams;
  const format = q.get("format") ?? "csv";
  if (format !== "csv" && format !== "jsonl") return jsonError(400, "format must be csv or jsonl.");
  const parsed = auditFilterSchema.safeParse(Object.fromEntries([...q.entries()].filter(([k, v]) => k !== "format" && v)));
  if (!parsed.success) return jsonError(400, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"));
  const filter = toAuditFilter(parsed.data);
  return exportResponse<AuditEntry>({ format, columns: COLUMNS, name: "audit", page: (cursor, limit) => store.audit.query(filter, cursor, limit) });
}
