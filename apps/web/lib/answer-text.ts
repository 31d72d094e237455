/**
 * The text of a finished answer in any of the three APIs' shapes: Chat Completions (`choices[0].message`),
 * Responses (`output[].content[]` of type output_text) and Messages (`content[]` of type text). For the
 * playground's cards; null when the body holds no text.
 */
export function answerText(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  const b = body as {
    choices?: Array<{ message?: { content?: unknown } }>;
    output?: Array<{ type?: string; content?: Array<{ type?: string; text?: unknown }> }>;
    content?: Array<{ type?: string; text?: unknown }>;
  };
  const chat = b.choices?.[0]?.message?.content;
  if (typeof chat === "string") return chat;
  const texts = [
    ...(b.output ?? []).flatMap((item) => (item.type === "message" ? (item.content ?? []) : [])).filter((c) => c.type === "output_text"),
    ...(Array.isArray(b.content) ? b.content.filter((c) => c.type === "text") : []),
  ].map((c) => (typeof c.text === "string" ? c.text : ""));
  return texts.length ? texts.join("") : null;
}

/** The public API path a logged route was served on ("/api/openai/messages" is "/v1/messages"), or null when it is not one the playground replays. */
export function replayPath(route: string): string | null {
  const m = /(chat\/completions|responses|messages)\/?$/.exec(route);
  return m ? `/v1/${m[1]}` : null;
}
