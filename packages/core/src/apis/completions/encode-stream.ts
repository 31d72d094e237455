/** Canonical stream parts → legacy `text_completion` chunks. */
import type { CanonicalUsage, StreamPart } from "../../canonical/types.js";
import type { TextCompletion } from "./schema.js";
import { encodeUsage } from "./encode-result.js";

/** One chunk per part that carries text or an end; the usage chunk at the end when the client asked for it. */
export class CompletionsStreamEncoder {
  private usage: CanonicalUsage | null = null;

  constructor(
    private readonly id: string,
    private readonly created: number,
    private model: string,
    private readonly provider: string,
    private readonly includeUsage: boolean,
  ) {}

  private chunk(choices: TextCompletion["choices"], usage?: TextCompletion["usage"]): string {
    const chunk: TextCompletion = { id: this.id, object: "text_completion", created: this.created, model: this.model, choices, provider: this.provider };
    if (usage) chunk.usage = usage;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  start(): string {
    return "";
  }

  part(part: StreamPart): string {
    switch (part.type) {
      case "text":
        return part.delta ? this.chunk([{ text: part.delta, index: part.choice ?? 0, logprobs: null, finish_reason: null }]) : "";
      case "finish":
        return this.chunk([{ text: "", index: part.choice ?? 0, logprobs: null, finish_reason: part.reason }]);
      case "model":
        this.model = part.model;
        return "";
      case "usage":
        this.usage = part.usage;
        return "";
      default:
        return "";
    }
  }

  end(): string {
    return (this.includeUsage && this.usage ? this.chunk([], encodeUsage(this.usage)) : "") + "data: [DONE]\n\n";
  }
}
