import { GatewayError } from "../errors.js";
import type { AuthContext } from "../auth/types.js";
import type { RoutePlan } from "../routing/router.js";

/** Narrows a plan to what the caller's API key may use; refuses with 403 when nothing is left. */
export function applyScope(plan: RoutePlan, body: { model?: string }, auth: AuthContext): void {
  if (auth.allowedModels?.length) {
    const model = body.model ?? plan.candidates[0]?.model.id;
    if (!model || !auth.allowedModels.includes(model)) {
      throw new GatewayError(403, "permission_error", "model_not_allowed", `This API key may not use model '${model ?? "(default)"}'.`);
    }
  }
  if (auth.allowedProviders?.length) {
    const allowed = new Set(auth.allowedProviders);
    const denied = plan.candidates.filter((c) => !allowed.has(c.runtime.config.id));
    for (const c of denied) plan.attempts.push({ provider: c.runtime.config.id, outcome: "skipped", reason: "not allowed for this API key" });
    plan.candidates = plan.candidates.filter((c) => allowed.has(c.runtime.config.id));
    if (!plan.candidates.length) {
      throw new GatewayError(403, "permission_error", "provider_not_allowed", "This API key may not use the selected provider(s).");
    }
  }
}
