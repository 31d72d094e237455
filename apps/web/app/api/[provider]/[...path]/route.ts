/**
 * gpt4free's path form under `next dev` (the custom server routes it directly): /api/{provider}/chat/completions,
 * …/responses, …/messages and …/v1/messages for Anthropic's clients. Other paths are the gateway's 404.
 */
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  return (await getRuntime()).gateway.webHandler()(request);
}
