/**
 * Canonical conversation → Responses input items: how a stored conversation (previous_response_id) is sent to a
 * provider that speaks Responses itself, whichever provider served the earlier turns.
 */
import type { CanonicalMessage } from "../../canonical/types.js";

export function encodeInput(messages: CanonicalMessage[]): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  for (const m of messages) {
    if (m.role === "user") {
      items.push({
        type: "message",
        role: "user",
        content: m.content.map((p) =>
          p.type === "text" ? { type: "input_text", text: p.text } : { type: "input_image", image_url: p.url, detail: p.detail ?? "auto" },
        ),
      });
    } else if (m.role === "tool") {
      items.push({ type: "function_call_output", call_id: m.toolCallId, output: m.content });
    } else {
      const text = m.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
      if (text) items.push({ type: "message", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] });
      // Reasoning is not sent back: OpenAI accepts only its own reasoning items (ids, encrypted content).
      for (const p of m.content) if (p.type === "tool_call") items.push({ type: "function_call", call_id: p.id, name: p.name, arguments: p.arguments });
    }
  }
  return items;
}
