import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/lib/trpc/router";
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

async function handler(req: Request): Promise<Response> {
  const runtime = await getRuntime();
  return fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, createContext: () => ({ runtime, headers: req.headers }) });
}

export { handler as GET, handler as POST };
