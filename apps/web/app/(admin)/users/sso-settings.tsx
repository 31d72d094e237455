"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";

type View = Awaited<ReturnType<typeof trpc.sso.get.query>>;
type Mapping = NonNullable<View>["role_mappings"][number];

const EMPTY = {
  issuer: "",
  client_id: "",
  client_secret: "",
  scopes: "openid email profile",
  allowed_domains: "",
  groups_claim: "groups",
  mappings: "",
  label: "Sign in with SSO",
};
type Form = typeof EMPTY;

/** Mappings as lines of the form: "group, role" or "group, team, Team name, lead|member". */
const mappingsText = (m: Mapping[]) => m.map((x) => [x.group, x.role, ...(x.role === "team" ? [x.team ?? "", x.team_role] : [])].join(", ")).join("\n");
function parseMappings(text: string) {
  return text
    .split("\n")
    .map((line) => line.split(",").map((p) => p.trim()))
    .filter((parts) => parts[0])
    .map(([group, role, team, teamRole]) => ({
      group: group!,
      role: (role ?? "") as Mapping["role"],
      ...(team ? { team } : {}),
      team_role: (teamRole || "member") as Mapping["team_role"],
    }));
}

const toForm = (v: NonNullable<View>): Form => ({
  issuer: v.issuer,
  client_id: v.client_id,
  client_secret: "",
  scopes: v.scopes,
  allowed_domains: v.allowed_domains.join(", "),
  groups_claim: v.groups_claim,
  mappings: mappingsText(v.role_mappings),
  label: v.label,
});

/** The owner's single sign-on settings (OpenID Connect), over the config file's `sso:` section. */
export default function SsoSettings({ onError }: { onError: (message: string | null) => void }) {
  const [view, setView] = useState<View | undefined>(undefined);
  const [form, setForm] = useState<Form>(EMPTY);
  const [saved, setSaved] = useState(false);
  const show = useCallback((v: View) => (setView(v), setForm(v ? toForm(v) : EMPTY)), []);
  useEffect(() => void trpc.sso.get.query().then(show, (e: Error) => onError(e.message)), [show, onError]);
  const field = (name: keyof Form, label: string, extra: Record<string, unknown> = {}) => (
    <label>
      {label}
      <input name={name} value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} {...extra} />
    </label>
  );
  const save = (settings: Parameters<typeof trpc.sso.save.mutate>[0]["settings"]) => {
    onError(null);
    setSaved(false);
    trpc.sso.save.mutate({ settings }).then(
      (v) => (show(v), setSaved(true)),
      (e: Error) => onError(e.message),
    );
  };
  if (view === undefined) return null;
  return (
    <section aria-label="single sign-on">
      <h2>Single sign-on</h2>
      <p className="muted">
        OpenID Connect (Google, Microsoft Entra, Okta, Keycloak, Authentik, Dex…). Register{" "}
        {typeof window === "undefined" ? "" : `${window.location.origin}/api/auth/sso/callback`} as the redirect URI. Groups map to roles at every sign-in:
        someone removed from a group loses that role, or access, the next time. People you invite keep the role you gave them.
        {view?.source === "file" && " These settings come from interference.yaml; saving here overrides them."}
      </p>
      <form
        className="card row"
        aria-label="sso settings"
        onSubmit={(e) => {
          e.preventDefault();
          save({
            issuer: form.issuer.trim(),
            client_id: form.client_id.trim(),
            client_secret: form.client_secret,
            scopes: form.scopes.trim(),
            allowed_domains: form.allowed_domains.split(/[\s,]+/).filter(Boolean),
            groups_claim: form.groups_claim.trim(),
            role_mappings: parseMappings(form.mappings),
            label: form.label.trim(),
          });
        }}
      >
        {field("issuer", "Issuer URL", { type: "url", required: true, placeholder: "https://accounts.example.com" })}
        {field("client_id", "Client id", { required: true })}
        {field("client_secret", "Client secret", {
          type: "password",
          autoComplete: "off",
          placeholder: view?.clientSecretSet ? "set: empty keeps it" : "none (public client)",
        })}
        {field("scopes", "Scopes")}
        {field("allowed_domains", "Allowed email domains", { placeholder: "any" })}
        {field("groups_claim", "Groups claim")}
        {field("label", "Button text")}
        <label style={{ flexBasis: "100%" }}>
          Group → role, one a line: &quot;group, role&quot; or &quot;group, team, Team name, lead&quot;
          <textarea name="mappings" rows={4} value={form.mappings} onChange={(e) => setForm({ ...form, mappings: e.target.value })} />
        </label>
        <button className="primary" type="submit">
          Save single sign-on
        </button>
        {view?.source === "dashboard" && (
          <button type="button" onClick={() => save(null)}>
            Remove (back to the config file&apos;s, or off)
          </button>
        )}
      </form>
      {saved && (
        <p className="notice" role="status">
          Saved: the issuer answered its discovery.
        </p>
      )}
    </section>
  );
}
