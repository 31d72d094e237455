/** OpenAI messages → node-llama-cpp chat history (the GGUF's own chat template renders it). */
import type { ChatHistoryItem } from "node-llama-cpp";
import { badRequest } from "../../errors.js";
import type { ChatMessage } from "../../openai/schema.js";

function textOf(content: ChatMessage["content"], role: string): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .map((p) => {
      if (p.type === "text") return (p as { text: string }).text;
      throw badRequest("unsupported_content", `The local model reads text only; a ${role} message has a ${p.type} part.`, "messages");
    })
    .join("");
}

/** The history ends with an empty model turn: the one the model completes. */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    const text = textOf(m.content, m.role);
    if (m.role === "system" || m.role === "developer") history.push({ type: "system", text });
    else if (m.role === "user") history.push({ type: "user", text });
    else if (m.role === "assistant") history.push({ type: "model", response: [text] });
    else throw badRequest("unsupported_message", "The local model does not take tool messages.", "messages");
  }
  history.push({ type: "model", response: [] });
  return history;
}
