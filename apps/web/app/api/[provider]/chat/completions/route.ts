/** gpt4free's path form, /api/{provider}/chat/completions, under `next dev` (the custom server routes it directly). */
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  return (await getRuntime()).gateway.webHandler()(request);
}
