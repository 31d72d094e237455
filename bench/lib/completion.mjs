// A Chat Completions answer and its stream chunks, shaped as OpenAI sends them: what the in-process benches'
// fake providers parse, as a real adapter would.
export const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1700000000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello from memory." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
});
