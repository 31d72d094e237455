/** The audit log's filters as the page, the admin API and the export take them. */
import { z } from "zod";
import type { AuditFilter } from "@interference/db";

export const auditFilterSchema = z.object({
  actorId: z.string().max(100).optional(),
  /** A prefix of the action: "keys." for every key change, "signin" for sign-ins. */
  action: z.string().max(100).optional(),
  text: z.string().max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export function toAuditFilter(input: z.infer<typeof auditFilterSchema>): AuditFilter {
  return {
    ...(input.actorId ? { actorId: input.actorId } : {}),
    ...(input.action?.trim() ? { action: input.action.trim() } : {}),
    ...(input.text?.trim() ? { text: input.text.trim() } : {}),
    ...(input.from ? { from: new Date(input.from) } : {}),
    ...(input.to ? { to: new Date(input.to) } : {}),
  };
}
