/**
 * Stored responses (`store: true`, OpenAI's default): what GET/DELETE /v1/responses/{id}, its input_items and
 * `previous_response_id` read. A response belongs to the API key that made it; any other key is told it does not
 * exist. The database keeps them for replicas (packages/db); MemoryResponseStore serves a gateway without one.
 */
import type { CanonicalMessage } from "../../canonical/types.js";
import type { ResponseObject } from "./schema.js";

export interface StoredResponse {
  id: string;
  /** The API key that made it (null in open mode, where every caller is the same anonymous one). */
  keyId: string | null;
  createdAt: Date;
  expiresAt: Date;
  response: ResponseObject;
  /** This request's input, as items with ids (GET …/input_items). */
  inputItems: Array<Record<string, unknown>>;
  /** The whole conversation through this response's output: what previous_response_id continues. */
  conversation: CanonicalMessage[];
}

export interface ResponseStore {
  save(stored: StoredResponse): Promise<void>;
  /** Null when absent, expired, or another key's. */
  get(id: string, keyId: string | null): Promise<StoredResponse | null>;
  /** False when there was nothing of this key's to delete. */
  delete(id: string, keyId: string | null): Promise<boolean>;
}

/** How long stored responses are kept (OpenAI keeps them 30 days); RESPONSES_RETENTION_DAYS changes it. */
export const DEFAULT_RESPONSE_RETENTION_MS = 30 * 24 * 3600_000;

/** In-process store, bounded in count: the oldest go first once it is full. */
export class MemoryResponseStore implements ResponseStore {
  private readonly items = new Map<string, StoredResponse>();

  constructor(private readonly maxItems = 10_000) {}

  async save(stored: StoredResponse): Promise<void> {
    this.items.delete(stored.id);
    this.items.set(stored.id, stored);
    while (this.items.size > this.maxItems) this.items.delete(this.items.keys().next().value!);
  }

  async get(id: string, keyId: string | null): Promise<StoredResponse | null> {
    const stored = this.items.get(id);
    if (!stored) return null;
    if (stored.expiresAt.getTime() <= Date.now()) {
      this.items.delete(id);
      return null;
    }
    return stored.keyId === keyId ? stored : null;
  }

  async delete(id: string, keyId: string | null): Promise<boolean> {
    const stored = await this.get(id, keyId);
    return stored ? this.items.delete(id) : false;
  }
}
