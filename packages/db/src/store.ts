/**
 * The persistence contract: what the gateway runtime and the admin dashboard need from the database.
 * Implemented with Prisma over PGlite (embedded default) or PostgreSQL (DATABASE_URL).
 */
import type { RoutingStore } from "./routing.js";
import type { ResponseStore } from "@interference/core";
import type {
  BudgetRule,
  ProviderConfig,
  RequestBodies,
  RequestBodySink,
  RequestLogEntry,
  RequestLogSink,
  SpendScope,
  StreamRecovery,
} from "@interference/core";

/** A provider as stored: the config file seeds it; dashboard edits win until the file changes that provider. */
export interface ProviderRecord {
  config: ProviderConfig;
  /** Where the current settings came from. */
  source: "config" | "dashboard";
  /** Hash of the config-file entry last applied, to tell when the file changed this provider. */
  configHash: string | null;
  updatedAt: Date;
}

export interface ProviderStore {
  /** All providers in display/config order. */
  list(): Promise<ProviderRecord[]>;
  /** Applies the config file: new entries are added, changed entries replace dashboard edits, others are kept. */
  syncFromConfig(configs: ProviderConfig[]): Promise<ProviderRecord[]>;
  /** A dashboard add/edit. An omitted or empty `api_key` keeps the stored secret (secrets are write-only). */
  save(config: ProviderConfig, opts?: { keepSecretIfEmpty?: boolean }): Promise<ProviderRecord>;
  setEnabled(id: string, enabled: boolean): Promise<ProviderRecord | null>;
  remove(id: string): Promise<boolean>;
  /**
   * The order chosen in the dashboard (the default routing order), kept over the config file's until reset
   * (null); providers it does not name follow, in the file's order.
   */
  reorder(ids: string[] | null): Promise<ProviderRecord[]>;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The first characters of the key, for recognising it (e.g. "ik_3f9a…"). Never the whole key. */
  prefix: string;
  allowedProviders: string[] | null;
  allowedModels: string[] | null;
  /** Requests per minute; null = unlimited. */
  rateLimitRpm: number | null;
  /** Tokens per minute; null = unlimited. */
  rateLimitTpm: number | null;
  /** USD budgets per UTC day, per UTC month or in total, on every model or one. */
  budgets: BudgetRule[];
  /** The key's team: its requests count in the team's spend and budgets too. */
  team: { id: string; name: string; budgets: BudgetRule[]; cache: boolean | null } | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** After this the key is refused (null: never expires). */
  expiresAt: Date | null;
  /** Until when the secret before the last rotation still works (null: no rotation pending). */
  previousSecretValidUntil: Date | null;
  /** The default for its requests that do not set `stream_recovery` (null: each provider's config decides). */
  streamRecovery: StreamRecovery | null;
  /** The response cache for its requests: on, off, or null (its team's, else the config's). */
  cache: boolean | null;
  /** The dashboard user who made it (null: before accounts). */
  createdById: string | null;
}

/**
 * A key's settings: what it is made with, and what the dashboard may change after (its secret stays as it is;
 * rotate it). Absent leaves a setting as it is (or at its default, on create).
 */
export interface ApiKeyChanges {
  name?: string;
  allowedProviders?: string[] | null;
  allowedModels?: string[] | null;
  rateLimitRpm?: number | null;
  rateLimitTpm?: number | null;
  budgets?: BudgetRule[];
  /** null: no team. */
  teamId?: string | null;
  /** null: never expires. */
  expiresAt?: Date | null;
  /** null: each provider's config decides. */
  streamRecovery?: StreamRecovery | null;
  /** null: its team's, else the config's. */
  cache?: boolean | null;
}

/** Requests, tokens and spend of one key (or team) over a period, as logged. */
export interface OwnerUsage {
  requests: number;
  errors: number;
  tokens: number;
  cost: number;
}

export interface ApiKeyStore {
  /** Creates a key; `secret` is returned this once and stored only as a hash. */
  create(input: ApiKeyChanges & { name: string; createdById?: string | null }): Promise<{ record: ApiKeyRecord; secret: string }>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(id: string): Promise<boolean>;
  /** Changes a key's settings; applies to its next request. False: no such key. Throws for an unknown team. */
  update(id: string, changes: ApiKeyChanges): Promise<boolean>;
  /**
   * A new secret for the key, returned this once; the current one keeps working for `graceSeconds` (0: stops at
   * once), so services can be moved over without an outage. Null: no such active key.
   */
  rotate(id: string, graceSeconds: number): Promise<{ record: ApiKeyRecord; secret: string } | null>;
  /**
   * The unrevoked key matching `secret` (its current secret, or the one before a rotation within its grace
   * period), or null. An expired key is returned, with its `expiresAt`: the caller refuses it, saying why.
   * Cached: must be cheap on the hot path.
   */
  verify(secret: string): Promise<ApiKeyRecord | null>;
  /** Number of keys ever created, revoked ones included: once there is one, /v1 requires a key (revoking the
   *  last key must not open the gateway). */
  countAll(): Promise<number>;
}

export interface TeamRecord {
  id: string;
  name: string;
  /** USD budgets over all the team's keys. */
  budgets: BudgetRule[];
  /** The response cache for the team's keys (a key's own setting comes first); null: the config's. */
  cache: boolean | null;
  createdAt: Date;
  /** Keys in the team, revoked ones included. */
  keyCount: number;
}

/** Teams: keys grouped for spend and budgets. A change applies to the team's keys' next requests. */
export interface TeamStore {
  list(): Promise<TeamRecord[]>;
  /** Throws a GatewayError 409 when the name is taken. */
  create(input: { name: string; budgets?: BudgetRule[]; cache?: boolean | null }): Promise<TeamRecord>;
  /** False: no such team. Throws a GatewayError 409 when the new name is taken. */
  update(id: string, changes: { name?: string; budgets?: BudgetRule[]; cache?: boolean | null }): Promise<boolean>;
  /** Its keys stay, in no team; its past spend stays on the log rows. False: no such team. */
  remove(id: string): Promise<boolean>;
}

export interface LogFilter {
  /** Only what a team user may see: requests of these teams' keys, or of these keys (empty lists: nothing). */
  visibleTo?: { teamIds: string[]; apiKeyIds: string[] };
  /** Any of these providers took part (served, or failed in the chain). */
  provider?: string | string[];
  model?: string;
  /** Any of these: an exact status ("429") or a class ("4xx"). */
  status?: string[];
  apiKeyId?: string;
  teamId?: string;
  /** Requests for this end user (exact). */
  endUser?: string;
  /** Requests carrying this tag (exact). */
  tag?: string;
  /** Text found (any case) in the request id, route, model, served model, provider or error. */
  text?: string;
  /** Only requests that a provider failed inside and another then served. */
  failedOver?: boolean;
  from?: Date;
  to?: Date;
}

/** What usage is grouped by: a request counts in one group, except by tag, where it counts under each of its tags. */
export const USAGE_GROUPS = ["provider", "apiKey", "model", "team", "endUser", "tag"] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

/** The order of a log page: newest first unless told otherwise. */
export interface LogSort {
  by: "time" | "latency" | "cost" | "tokens";
  dir: "asc" | "desc";
}

export interface LogPage {
  rows: RequestLogEntry[];
  /** Opaque keyset cursor for the next (older) page; null at the end. Stays fast at millions of rows. */
  nextCursor: string | null;
}

export interface ProviderStats {
  provider: string;
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  promptTokens: number;
  completionTokens: number;
}

/** The figures of the Overview, over a range or one bucket of it. Percentiles are null when nothing was measured. */
export interface LogSummary {
  requests: number;
  /** Requests answered with a status ≥ 400. */
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Time to first token, over streamed requests that sent one. */
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  /** USD, over the requests whose cost is known. */
  cost: number;
  promptTokens: number;
  completionTokens: number;
  /** The response cache: requests that looked it up (hits and misses), the hits, and what they saved (USD). */
  cacheLookups: number;
  cacheHits: number;
  cacheSaved: number;
}

export interface UsageBucket {
  /** Bucket start. */
  t: Date;
  /**
   * Per `groupBy`: a provider that took part in the request (tried or served), the model id the client asked for,
   * an API key id or a team id.
   */
  group: string;
  /** For a model: the ids the providers reported for it, when they differ from it (an alias's upstream ids). */
  detail?: string;
  requests: number;
  errors: number;
  tokens: number;
  /** USD, of the rows with a known cost. */
  cost: number;
  /** Latency percentiles of the bucket's requests, ms. */
  p50Ms: number;
  p95Ms: number;
  /** The response cache: lookups (hits and misses), hits, and what the hits saved (USD). */
  cacheLookups: number;
  cacheHits: number;
  cacheSaved: number;
}

export interface LogStore {
  /** Batched writer: never adds a database round-trip to a request; `flush` writes what is pending. */
  sink: RequestLogSink & { flush(): Promise<void> };
  /** Request and response bodies, when storing them is on (LOG_BODIES), kept apart from the rows. */
  bodies: {
    sink: RequestBodySink & { flush(): Promise<void> };
    get(id: string): Promise<RequestBodies | null>;
    /** Deletes bodies older than `before` (their retention); returns how many went. */
    purge(before: Date): Promise<number>;
  };
  /** A page of matching rows; `cursor` is the previous page's `nextCursor`, for the same filter and sort. */
  query(filter: LogFilter, cursor: string | null, limit: number, sort?: LogSort): Promise<LogPage>;
  get(id: string): Promise<RequestLogEntry | null>;
  count(filter?: LogFilter): Promise<number>;
  providerStats(since: Date): Promise<ProviderStats[]>;
  usage(opts: { since: Date; bucket: "minute" | "hour" | "day"; groupBy: UsageGroup }): Promise<UsageBucket[]>;
  /** Totals over [from, to) and the same figures per time bucket (only buckets with requests). */
  summary(opts: { from: Date; to: Date; bucket: "minute" | "hour" | "day" }): Promise<{ total: LogSummary; series: Array<LogSummary & { t: Date }> }>;
  /** Requests, errors, tokens and spend per key (`apiKey`) or team since `since`: the keys' and teams' pages. */
  usageByOwner(owner: "apiKey" | "team", since: Date): Promise<Map<string, OwnerUsage>>;
  /** USD a key or team spent since `since` (null: ever), on every model or one, as logged: what budgets count from. */
  spend(scope: SpendScope, since: Date | null): Promise<number>;
}

export interface SettingsStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

/** The response cache on or off per model id, as set on the dashboard (over the config file's `cache.models`). */
export interface CacheSwitchStore {
  get(): Promise<Record<string, boolean>>;
  /** null: the model follows the config file again. The switches after the change. */
  set(model: string, enabled: boolean | null): Promise<Record<string, boolean>>;
}

/**
 * Dashboard sessions: the token is returned once, only its hash is stored. `generation` names the password a
 * session was made under (or "sso"): the caller compares it with the user's current one.
 */
export interface SessionStore {
  create(ttlMs: number, generation: string, userId: string): Promise<string>;
  /** The live (unrevoked, unexpired) session's user and generation, or null. */
  lookup(token: string | undefined): Promise<{ userId: string; generation: string } | null>;
  revoke(token: string): Promise<void>;
  /** Ends every session of one user (disabled, signed out everywhere); returns how many were live. */
  revokeUser(userId: string): Promise<number>;
  /** Ends every session (a changed first-owner password); returns how many were live. */
  revokeAll(): Promise<number>;
}

/** owner: everything; admin: providers, keys, teams, budgets, prices; viewer: read-only; team: by memberships. */
export const USER_ROLES = ["owner", "admin", "viewer", "team"] as const;
export type UserRole = (typeof USER_ROLES)[number];
/** lead: the team's keys, budgets and logs; member: their own keys and those keys' logs. */
export const TEAM_ROLES = ["lead", "member"] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export interface UserRecord {
  id: string;
  email: string;
  role: UserRole;
  /** "sso": the role and teams come from the SSO group mapping, applied again at each sign-in. */
  roleSource: "manual" | "sso";
  teams: Array<{ id: string; name: string; role: TeamRole }>;
  hasPassword: boolean;
  sso: boolean;
  createdAt: Date;
  createdById: string | null;
  disabledAt: Date | null;
  lastSignInAt: Date | null;
}

export interface UserChanges {
  email?: string;
  role?: UserRole;
  roleSource?: "manual" | "sso";
  teams?: Array<{ id: string; role: TeamRole }>;
}

export interface UserStore {
  list(): Promise<UserRecord[]>;
  get(id: string): Promise<UserRecord | null>;
  byEmail(email: string): Promise<UserRecord | null>;
  bySsoSubject(subject: string): Promise<UserRecord | null>;
  /** The password hash (never shown) and whether the user may sign in. */
  credentials(id: string): Promise<{ passwordHash: string | null; disabled: boolean } | null>;
  /** Throws a 409 GatewayError for an email another user has, a 400 for an unknown team. */
  create(input: UserChanges & { email: string; role: UserRole; createdById: string | null; id?: string }): Promise<UserRecord>;
  /** Null: no such user. */
  update(id: string, changes: UserChanges): Promise<UserRecord | null>;
  setPassword(id: string, hash: string): Promise<void>;
  setDisabled(id: string, disabled: boolean): Promise<UserRecord | null>;
  linkSso(id: string, subject: string): Promise<void>;
  signedIn(id: string): Promise<void>;
  /** A one-use invitation link's token (only its hash is kept). */
  createInvite(userId: string, ttlMs: number): Promise<{ token: string; expiresAt: Date }>;
  /** The user an unused, unexpired invite is for, or null; `consume` marks it used (once, even under races). */
  invite(token: string, opts?: { consume?: boolean }): Promise<UserRecord | null>;
}

export const ALERT_KINDS = ["provider_error_rate", "provider_p95", "circuit_open", "daily_spend", "budget"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const ALERT_FORMATS = ["slack", "teams", "json"] as const;

export interface AlertRuleRecord {
  id: string;
  name: string;
  kind: AlertKind;
  provider: string | null;
  /** The key or team whose budgets a budget rule watches: "key:<id>" or "team:<id>". */
  budgetOwner: string | null;
  threshold: number;
  windowSeconds: number;
  minRequests: number;
  /** A secret (Slack's and Teams' URLs carry their token): never shown whole. */
  webhookUrl: string;
  format: (typeof ALERT_FORMATS)[number];
  enabled: boolean;
  createdAt: Date;
}
export type AlertRuleInput = Omit<AlertRuleRecord, "id" | "createdAt"> & { id?: string };

export interface AlertEventRecord {
  id: string;
  ruleId: string;
  ruleName: string;
  firedAt: Date;
  resolvedAt: Date | null;
  message: string;
  value: number | null;
}

export interface AlertStore {
  rules(): Promise<AlertRuleRecord[]>;
  saveRule(rule: AlertRuleInput): Promise<AlertRuleRecord>;
  removeRule(id: string): Promise<boolean>;
  /** Opens an alert for the rule unless one is open: the new alert (the caller delivers it), or null. */
  open(ruleId: string, message: string, value: number | null): Promise<AlertEventRecord | null>;
  /** Closes the rule's open alert: the alert (the caller delivers the all-clear), or null when none was open. */
  resolve(ruleId: string): Promise<AlertEventRecord | null>;
  /** Newest first; `open`: only those still firing. */
  events(opts: { open?: boolean; limit: number }): Promise<AlertEventRecord[]>;
}

export interface AuditEntry {
  id: string;
  time: Date;
  actorId: string | null;
  actorEmail: string | null;
  address: string | null;
  action: string;
  target: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
}

export interface AuditFilter {
  actorId?: string;
  /** Prefix: "keys." finds every key change. */
  action?: string;
  /** Text in the target or the actor's email. */
  text?: string;
  from?: Date;
  to?: Date;
}

/** The audit log: append and read, never change (the database refuses updates); old rows go by retention only. */
export interface AuditStore {
  append(entry: Omit<AuditEntry, "id" | "time"> & { time?: Date }): Promise<AuditEntry>;
  /** Newest first, keyset pages. */
  query(filter: AuditFilter, cursor: string | null, limit: number): Promise<{ rows: AuditEntry[]; nextCursor: string | null }>;
  /** Deletes rows older than `before`: how many. */
  prune(before: Date): Promise<number>;
}

export interface Store {
  providers: ProviderStore;
  apiKeys: ApiKeyStore;
  teams: TeamStore;
  logs: LogStore;
  settings: SettingsStore;
  /** The routing settings (strategies, fallback): the file seeds them, the dashboard edits them. */
  routing: RoutingStore;
  sessions: SessionStore;
  /** People who sign in to the dashboard, their roles and teams. */
  users: UserStore;
  audit: AuditStore;
  alerts: AlertStore;
  /** Stored Responses-API responses (core's ResponseStore). */
  responses: ResponseStore;
  /** The response cache's per-model switches. */
  cacheSwitches: CacheSwitchStore;
  /** Flushes pending logs and closes connections (PGlite included). */
  close(): Promise<void>;
}
