/** Who is calling /v1: the API key's id and what it may use. */
export interface AuthContext {
  keyId: string | null;
  /** When set, only these provider ids may serve the key's requests. */
  allowedProviders?: string[] | null;
  /** When set, only these model ids may be asked for. */
  allowedModels?: string[] | null;
}

/** Checks the request's credentials; throws a GatewayError (401/403/429) to refuse. */
export type Authenticator = (headers: Record<string, string | undefined>) => Promise<AuthContext>;

export const ANONYMOUS: AuthContext = { keyId: null };
