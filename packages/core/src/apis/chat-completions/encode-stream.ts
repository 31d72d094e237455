/**
 * Canonical stream parts → Chat Completions' `chat.completion.chunk` events: a role chunk opening each answer,
 * content, reasoning (`reasoning_content`) and tool-call deltas as they come, a finish chunk per answer, then the
 * usage chunk when the client asked for it (`stream_options.include_usage`), and `[DONE]`.
 */
import type { CanonicalUsage, StreamPart } from "../../canonical/types.js";
import type { Continuation } from "../../canonical/continuation.js";
import { thoughtSignatureExtra, type ChatCompletionChunk } from "../../openai/schema.js";
import { encodeLogprobs, encodeUsage } from "./encode-result.js";

type Delta = ChatCompletionChunk["choices"][number]["delta"];

export interface ChatStreamOptions {
  id: string;
  created: number;
  /** Until the provider names the model it ran. */
  model: string;
  provider: string;
  includeUsage: boolean;
  /** Resuming a stream another provider began (answer continuity): the answers whose role chunk went out. */
  opened?: number[];
}

export class ChatStreamEncoder {
  private model: string;
  private provider: string;
  private usage: CanonicalUsage | null = null;
  /** Answers whose role chunk has gone out. */
  private readonly opened: Set<number>;
  /** Set once another provider continues the answer: the finish and usage chunks carry it. */
  private continuation: Continuation | null = null;

  constructor(private readonly options: ChatStreamOptions) {
    this.model = options.model;
    this.provider = options.provider;
    this.opened = new Set(options.opened);
  }

  /** From here on the chunks come from `provider`, continuing the answer as `continuation` says. */
  annotate(provider: string, continuation: Continuation): void {
    this.provider = provider;
    this.continuation = continuation;
  }

  private chunk(choice: number, delta: Delta, finish: ChatCompletionChunk["choices"][number]["finish_reason"] = null, logprobs: unknown = null): string {
    let out = "";
    if (!this.opened.has(choice)) {
      this.opened.add(choice);
      if (delta.role === undefined) out += this.chunk(choice, { role: "assistant", content: "", refusal: null });
    }
    const { id, created } = this.options;
    const chunk: ChatCompletionChunk = {
      id,
      object: "chat.completion.chunk",
      created,
      model: this.model,
      choices: [{ index: choice, delta, finish_reason: finish, logprobs }],
      provider: this.provider,
    };
    if (finish && this.continuation) chunk.interference = this.continuation;
    return `${out}data: ${JSON.stringify(chunk)}\n\n`;
  }

  start(): string {
    this.opened.add(0);
    return this.chunk(0, { role: "assistant", content: "", refusal: null });
  }

  part(part: StreamPart): string {
    switch (part.type) {
      case "text":
        return part.delta ? this.chunk(part.choice ?? 0, { content: part.delta }) : "";
      case "reasoning":
        return part.delta ? this.chunk(part.choice ?? 0, { reasoning_content: part.delta }) : "";
      case "tool_call_start":
        return this.chunk(part.choice ?? 0, {
          tool_calls: [
            { index: part.index, id: part.id, type: "function", function: { name: part.name, arguments: "" }, ...thoughtSignatureExtra(part.signature) },
          ],
        });
      case "tool_call_delta":
        return part.delta ? this.chunk(part.choice ?? 0, { tool_calls: [{ index: part.index, function: { arguments: part.delta } }] }) : "";
      case "logprobs":
        return this.chunk(part.choice ?? 0, {}, null, encodeLogprobs(part.tokens));
      case "finish":
        return this.chunk(part.choice ?? 0, {}, part.reason);
      case "model":
        this.model = part.model;
        return "";
      case "usage":
        this.usage = part.usage;
        return "";
    }
  }

  /** The usage chunk (when asked for), then [DONE]. */
  end(): string {
    if (!this.options.includeUsage || !this.usage) return "data: [DONE]\n\n";
    const { id, created } = this.options;
    const chunk: ChatCompletionChunk = {
      id,
      object: "chat.completion.chunk",
      created,
      model: this.model,
      choices: [],
      usage: encodeUsage(this.usage),
      provider: this.provider,
      ...(this.continuation ? { interference: this.continuation } : {}),
    };
    return `data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`;
  }
}
