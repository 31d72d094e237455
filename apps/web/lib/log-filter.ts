/**
 * The request-log filter as the dashboard sends it (tRPC input and the export's query string alike), checked, and
 * turned into the store's LogFilter.
 */
import { z } from "zod";
import type { LogFilter } from "@interference/db";

export const logFilterSchema = z.object({
  provider: z.string().optional(),
  model: z.string().optional(),
  // An exact code or a class; anything else is said, not silently ignored.
  status: z
    .string()
    .trim()
    .regex(/^$|^[1-5](\d\d|xx)$/i, "Status must be a code such as 200 or 429, or a class such as 4xx or 5xx.")
    .optional(),
  apiKeyId: z.string().optional(),
  failedOver: z.boolean().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type LogFilterInput = z.infer<typeof logFilterSchema>;

export function toLogFilter(input: LogFilterInput): LogFilter {
  return {
    ...(input.provider ? { provider: input.provider } : {}),
    ...(input.model ? { model: input.model } : {}),
    ...(input.status ? { status: input.status } : {}),
    ...(input.apiKeyId ? { apiKeyId: input.apiKeyId } : {}),
    ...(input.failedOver ? { failedOver: true } : {}),
    ...(input.from ? { from: new Date(input.from) } : {}),
    ...(input.to ? { to: new Date(input.to) } : {}),
  };
}
