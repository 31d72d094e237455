/**
 * Who may do what in the dashboard: one table, procedure by procedure, enforced by the admin API's middleware
 * (a procedure missing here is refused to everyone, and a test fails) and read by the navigation to show each
 * role its pages. Team users (role "team") act as "lead" for the teams they lead and "member" for the others;
 * the procedures open to them narrow what they see and change to those teams (see `TeamScope`).
 */
import type { ApiKeyRecord, TeamRole, UserRecord } from "@interference/db";

export const ACTORS = ["owner", "admin", "viewer", "lead", "member"] as const;
export type Actor = (typeof ACTORS)[number];

const OWNER: readonly Actor[] = ["owner"];
const ADMINS: readonly Actor[] = ["owner", "admin"];
const READERS: readonly Actor[] = ["owner", "admin", "viewer"];
const EVERYONE: readonly Actor[] = ACTORS;
/** Open to team users too, within their teams. */
const KEY_MAKERS: readonly Actor[] = ["owner", "admin", "lead", "member"];

export const ACCESS = {
  me: EVERYONE,
  "providers.list": READERS,
  "providers.presets": READERS,
  "providers.setEnabled": ADMINS,
  "providers.save": ADMINS,
  "providers.test": ADMINS,
  "providers.reorder": ADMINS,
  "providers.remove": ADMINS,
  "routing.get": READERS,
  "routing.save": ADMINS,
  "logs.list": EVERYONE,
  "logs.get": EVERYONE,
  "logs.bodies": EVERYONE,
  overview: READERS,
  usage: READERS,
  "keys.list": EVERYONE,
  "keys.create": KEY_MAKERS,
  "keys.update": KEY_MAKERS,
  "keys.rotate": KEY_MAKERS,
  "keys.revoke": KEY_MAKERS,
  "cache.settings": READERS,
  "cache.setModel": ADMINS,
  "cache.purge": KEY_MAKERS,
  "teams.list": EVERYONE,
  "teams.create": ADMINS,
  "teams.update": ADMINS,
  "teams.remove": ADMINS,
  "users.list": OWNER,
  "users.invite": OWNER,
  "users.update": OWNER,
  "users.disable": OWNER,
  "audit.list": ADMINS,
  "alerts.rules": READERS,
  "alerts.events": READERS,
  "alerts.save": ADMINS,
  "alerts.remove": ADMINS,
  /** Sends requests that cost money: as the admins who set providers up. */
  "playground.send": ADMINS,
  "sso.get": OWNER,
  "sso.save": OWNER,
} as const satisfies Record<string, readonly Actor[]>;

export type Procedure = keyof typeof ACCESS;

/** What a user acts as: their role, or for a team user, lead and/or member by their memberships. */
export function actorsOf(user: Pick<UserRecord, "role" | "teams">): Actor[] {
  if (user.role !== "team") return [user.role];
  const roles = new Set<Actor>(user.teams.map((t) => t.role));
  return [...roles];
}

export function mayCall(user: Pick<UserRecord, "role" | "teams">, path: string): boolean {
  const allowed = (ACCESS as Record<string, readonly Actor[] | undefined>)[path];
  return !!allowed && actorsOf(user).some((a) => allowed.includes(a));
}

/** The dashboard's pages and the procedure each one needs. */
export const PAGES = [
  { href: "/overview", label: "Overview", needs: "overview" },
  { href: "/providers", label: "Providers", needs: "providers.list" },
  { href: "/logs", label: "Request logs", needs: "logs.list" },
  { href: "/usage", label: "Usage", needs: "usage" },
  { href: "/keys", label: "API keys", needs: "keys.list" },
  { href: "/teams", label: "Teams", needs: "teams.list" },
  { href: "/users", label: "Users", needs: "users.list" },
  { href: "/alerts", label: "Alerts", needs: "alerts.rules" },
  { href: "/playground", label: "Playground", needs: "playground.send" },
  { href: "/audit", label: "Audit log", needs: "audit.list" },
] as const satisfies ReadonlyArray<{ href: string; label: string; needs: Procedure }>;

/** The first page a user may open: where sign-in lands. */
export const homeOf = (user: Pick<UserRecord, "role" | "teams">) => PAGES.find((p) => mayCall(user, p.needs))?.href ?? "/keys";

/**
 * What a user may see and change among keys, teams and logs: everything (owner, admin, viewer: reading), or for
 * a team user, the teams they lead (all their keys and logs) and, in teams they are a member of, the keys they
 * made themselves.
 */
export class TeamScope {
  readonly all: boolean;
  readonly teams: ReadonlyMap<string, TeamRole>;

  constructor(readonly user: Pick<UserRecord, "id" | "role" | "teams">) {
    this.all = user.role !== "team";
    this.teams = new Map(user.teams.map((t) => [t.id, t.role]));
  }

  /** Teams whose every key (and log row) the user sees. */
  get ledTeamIds(): string[] {
    return [...this.teams].filter(([, role]) => role === "lead").map(([id]) => id);
  }

  seesTeam(teamId: string): boolean {
    return this.all || this.teams.has(teamId);
  }

  seesKey(key: Pick<ApiKeyRecord, "team" | "createdById">): boolean {
    if (this.all) return true;
    if (key.team && this.teams.get(key.team.id) === "lead") return true;
    return key.createdById === this.user.id;
  }

  /** A team a team user may put a key in: one of theirs (a key with no team would be outside every scope). */
  mayPlaceKeyIn(teamId: string | null | undefined): boolean {
    return this.all || (!!teamId && this.teams.has(teamId));
  }

  /** A team user's view of the log: their led teams' requests and their own keys'. */
  logVisibility(keys: ApiKeyRecord[]): { teamIds: string[]; apiKeyIds: string[] } | undefined {
    if (this.all) return undefined;
    return { teamIds: this.ledTeamIds, apiKeyIds: keys.filter((k) => this.seesKey(k)).map((k) => k.id) };
  }
}
