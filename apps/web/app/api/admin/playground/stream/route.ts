/**
 * POST /api/admin/playground/stream: the playground's chat, streamed as the gateway streams it (Chat Completions
 * events), for the roles that may use the playground (lib/admin/access.ts), from the dashboard's own pages.
 * Audited like the admin API's changes.
 */
import { getRuntime } from "@/lib/runtime";
import { CLIENT_ADDRESS_HEADER, cookieFrom, currentUser, sameOrigin } from "@/lib/admin/session";
import { mayCall } from "@/lib/admin/access";
import { playgroundBody, playgroundSchema, sendThroughGateway } from "@/lib/admin/playground";
import { readBounded } from "@/lib/form";
import { jsonError } from "@/lib/export";

export const dynamic = "force-dynamic";

const MAX_BYTES = 1024 * 1024;

export async function POST(request: Request): Promise<Response> {
  if (!sameOrigin(request.headers) || request.headers.get("x-interference-csrf") !== "1") return jsonError(403, "Cross-site request refused.");
  const runtime = await getRuntime();
  const user = await currentUser(runtime.store, cookieFrom(request.headers.get("cookie")));
  if (!user) return jsonError(401, "Sign in first.");
  if (!mayCall(user, "playground.send")) return jsonError(403, `Your role (${user.role}) may not use the playground.`);
  const bytes = await readBounded(request.body, MAX_BYTES).catch(() => null);
  if (!bytes) return jsonError(413, `The request is larger than ${MAX_BYTES} bytes.`);
  let parsed;
  try {
    parsed = playgroundSchema.safeParse(JSON.parse(bytes.toString("utf8")));
  } catch {
    return jsonError(400, "The request is not JSON.");
  }
  if (!parsed.success) return jsonError(400, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"));
  const { provider, model, ...rest } = parsed.data;
  await runtime.store.audit.append({
    actorId: user.id,
    actorEmail: user.email,
    address: request.headers.get(CLIENT_ADDRESS_HEADER),
    action: "playground.send",
    target: `provider:${provider}`,
    changes: { model: { before: null, after: model }, stream: { before: null, after: true } },
  });
  // The person closing the page ends the upstream request too.
  return sendThroughGateway(runtime, playgroundBody(rest, provider, model, user, true), request.signal);
}
