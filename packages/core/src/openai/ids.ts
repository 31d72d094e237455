import { randomBytes } from "node:crypto";

/** An id in OpenAI's style (`chatcmpl-…`) for responses the gateway builds itself. */
export function completionId(prefix = "chatcmpl"): string {
  return `${prefix}-${randomBytes(12).toString("base64url")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
