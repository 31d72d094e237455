/**
 * /v1 under `next dev` (and any deployment without the custom server): the same core handler the custom
 * server mounts directly, so both behave the same.
 */
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  const { gateway } = await getRuntime();
  return gateway.webHandler()(request);
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE, handle as HEAD, handle as OPTIONS };
