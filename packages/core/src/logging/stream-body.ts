/**
 * A stored streamed answer (LOG_BODIES keeps the events as sent) put back together for the dashboard: its text and
 * tool calls per answer, read with the same readers the response cache uses (cache/capture.ts).
 */
import { captureStream } from "../cache/capture.js";
import type { CachedApi } from "../cache/answers.js";

export interface AssembledStream {
  /** One per answer (`n` asks for several): its text, reasoning and tool calls. */
  choices: Array<{ text: string; reasoning: string; toolCalls: Array<{ name: string; arguments: string }>; finish: string }>;
  /** The stream ended as a whole answer (a cut one, or a body cut at its cap, did not). */
  complete: boolean;
}

/** The API whose events a route's stream carries; null for one the dashboard shows raw. */
function apiOf(route: string): CachedApi | null {
  const path = route.split("?")[0]!;
  if (path.endsWith("/chat/completions")) return "chat";
  if (path.endsWith("/messages")) return "messages";
  if (path.endsWith("/responses")) return "responses";
  return null;
}

/** The answer in a stored stream body, or null when the body is not a stream of an API it knows. */
export function assembleStreamBody(route: string, body: string): AssembledStream | null {
  const api = apiOf(route);
  if (!api || !/^(event|data):/m.test(body)) return null;
  const capture = captureStream(api);
  capture.feed(body.endsWith("\n\n") ? body : `${body}\n\n`);
  const { result, complete } = capture.partial();
  return {
    complete,
    choices: result.choices.map((c) => ({
      text: c.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join(""),
      reasoning: c.content.flatMap((p) => (p.type === "reasoning" ? [p.text] : [])).join(""),
      toolCalls: c.content.flatMap((p) => (p.type === "tool_call" ? [{ name: p.name, arguments: p.arguments }] : [])),
      finish: c.finish,
    })),
  };
}
