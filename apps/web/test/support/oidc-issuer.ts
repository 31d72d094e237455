/**
 * A real OpenID provider for tests: panva's oidc-provider (the certified provider library) on loopback, with its
 * development login form (any login name signs in as that account), automatic consent, and accounts whose email
 * and groups the test sets. `tamper` re-signs the ID token the token endpoint sends with changed claims (with the
 * provider's own key): a token for another audience, or with another nonce, that only the client's checks catch.
 */
import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, decodeJwt, SignJWT } from "jose";
import Provider, { type KoaContextWithOIDC } from "oidc-provider";
import { freePort } from "./server";

export interface TestIssuer {
  url: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, { email: string; groups: string[] }>;
  /** Claims to change in the next ID tokens (null: none). */
  tamper: Record<string, unknown> | null;
  stop(): Promise<void>;
}

export async function startIssuer(redirectUri: string): Promise<TestIssuer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const accounts = new Map<string, { email: string; groups: string[] }>();
  const issuer: TestIssuer = {
    url,
    clientId: "interference",
    clientSecret: "issuer-client-secret-0123456789",
    accounts,
    tamper: null,
    stop: async () => {},
  };
  const provider = new Provider(url, {
    clients: [
      {
        client_id: issuer.clientId,
        client_secret: issuer.clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ["oidc-test-cookie-key"] },
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    // Claims in the ID token itself (the client reads groups from it, as from most providers).
    conformIdTokenClaims: false,
    findAccount: (_ctx: KoaContextWithOIDC, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: accounts.get(id)?.email ?? `${id}@example.com`, email_verified: true, groups: accounts.get(id)?.groups ?? [] }),
    }),
    // Consent granted at once: the test is about the client, not the provider's screens.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope("openid email profile groups");
      grant.addOIDCClaims(["email", "email_verified", "groups"]);
      await grant.save();
      return grant;
    },
    features: { devInteractions: { enabled: true } },
  });
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (ctx.path === "/token" && issuer.tamper && body?.id_token) {
      const claims = decodeJwt(body.id_token);
      const id_token = await new SignJWT({ ...claims, ...issuer.tamper }).setProtectedHeader({ alg: "RS256", kid: "test-key", typ: "JWT" }).sign(privateKey);
      ctx.body = { ...body, id_token };
    }
  });
  const handle = provider.callback();
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  issuer.stop = () => new Promise((resolve) => server.close(() => resolve()));
  return issuer;
}
