/** A canonical request's conversation → node-llama-cpp chat history (the GGUF's own chat template renders it). */
import type { ChatHistoryItem } from "node-llama-cpp";
import { badRequest } from "../../errors.js";
import type { CanonicalRequest } from "../../canonical/types.js";

/**
 * The history ends with the model turn the model completes: an empty one, or, for a prefilled request, the
 * unfinished answer itself, which node-llama-cpp's generateResponse then continues.
 */
export function toChatHistory(req: Pick<CanonicalRequest, "system" | "messages" | "prefill">): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = req.system.map((text) => ({ type: "system", text }));
  req.messages.forEach((m, i) => {
    if (m.role === "user") {
      const text = m.content
        .map((p) => {
          if (p.type === "text") return p.text;
          throw badRequest("unsupported_content", `The local model reads text only; message ${i} has an image.`, "messages");
        })
        .join("");
      history.push({ type: "user", text });
    } else if (m.role === "assistant") {
      // Earlier reasoning and tool calls have no place in this model's template: its text is what it said.
      history.push({ type: "model", response: [m.content.map((p) => (p.type === "text" ? p.text : "")).join("")] });
    } else throw badRequest("unsupported_message", "The local model does not take tool messages.", "messages");
  });
  if (!(req.prefill && history.at(-1)?.type === "model")) history.push({ type: "model", response: [] });
  return history;
}
