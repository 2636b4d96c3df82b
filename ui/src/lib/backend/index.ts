// The only module that talks to the Rust side. Components get data through `backend`,
// so tests can drive them with Tauri's mockIPC (or any object with the same shape).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { openUrl } from '@tauri-apps/plugin-opener';

export type BrokerStatus =
  | { state: 'running'; socket: string }
  | { state: 'stopped'; reason: string };

export interface AppStatus {
  /** The Rust side's version, as `latchkey --version` prints it. */
  version: string;
  /** `macos` or `linux`. */
  platform: string;
  broker: BrokerStatus;
  /** Configuration files the broker refused at start (edited outside Latchkey, unsealed, or
   * their key gone), until the person's next change replaces them. */
  refused_files: RefusedFile[];
}

/** A configuration file the broker does not trust, and what that means. */
export interface RefusedFile {
  file: string;
  /** Why it is not trusted. */
  reason: string;
  /** What that means until the person acts, and what to do. */
  effect: string;
}

// ---- SOFA (macadmins Simple Organized Feed for Apple software updates) ----

/** Where the feed in use came from and when. */
export interface FeedOrigin {
  /** URL or file path the feed was read from. */
  source: string;
  /** ISO 8601 UTC: when this copy was downloaded (or the file written), not how old its content is. */
  fetched_at: string;
  /** ISO 8601 UTC: when SOFA itself last updated the feed (LastCheck); null when the layout states none. */
  sofa_updated_at: string | null;
  /** Set when this is a cached or otherwise out-of-date copy: why a fresh one could not be had. */
  stale_reason: string | null;
}

/** Where the feed came from, and how old its content is by SOFA's clock. */
export interface FeedInfo extends FeedOrigin {
  /** Whole hours since SOFA last updated the feed; null when unknown. */
  sofa_age_hours: number | null;
  /** Past this age the feed counts as outdated. */
  max_age_hours: number;
  /** A sentence to show when SOFA's update is older than that. */
  outdated: string | null;
}

export interface FeedSummary {
  /** 'v1' | 'v2' | 'v2_schema' today; kept open for newer layouts. */
  layout: string;
  schema_version: string | null;
  product: string | null;
  /** The feed's own LastCheck, as published. */
  last_check: string | null;
  update_hash: string | null;
  /** Of the majors, those Apple still patches, newest first; the others are end of life. */
  patched_majors: number[];
  /** Newest first. */
  majors: number[];
  security_releases: number;
  distinct_cves: number;
  distinct_actively_exploited_cves: number;
  models: number;
  warnings: string[];
}

/** The newest release of one macOS major. */
export interface LatestRelease {
  major: number;
  /** e.g. "Tahoe 26". */
  label: string;
  version: string;
  product_version: string;
  build: string | null;
  /** ISO 8601. */
  release_date: string | null;
  security_info_url: string | null;
}

export interface SofaOverview {
  feed: FeedInfo;
  summary: FeedSummary;
  /** One per major, newest first. */
  latest: LatestRelease[];
  /** This Mac's macOS version on macOS, null elsewhere. */
  this_mac: string | null;
}

export interface ReleaseSummary {
  version: string;
  product_version: string;
  build: string | null;
  release_date: string | null;
  security_info_url: string | null;
  cve_count: number;
  actively_exploited_count: number;
  security_notes_pending: boolean;
  /** For a missed release: the day (YYYY-MM-DD) its update is required by. */
  required_by: string | null;
}

/** Which SLA set a deadline. */
export type SlaKind = 'actively_exploited' | 'standard' | 'major_upgrade';

/** When an update is due (a missed release's date plus its SLA), and how late it is. */
export interface UpdateDeadline {
  /** YYYY-MM-DD (UTC). */
  required_by: string;
  /** The release that sets it (for a major upgrade, the new major's first release). */
  release: string;
  /** YYYY-MM-DD. */
  release_date: string;
  sla: SlaKind;
  sla_days: number;
  /** Days past `required_by` today; zero or less when not yet late (-3: due in 3 days). */
  days_overdue: number;
  overdue: boolean;
}

export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  other: number;
  /** CVEs the feed states no severity for. */
  unrated: number;
}

/** Only a listed release of a major Apple still patches is current or behind. */
export type VersionState = 'current' | 'behind' | 'end_of_life' | 'unknown';

/** Why a version gets no security updates any more, and the way out. */
export interface EndOfLife {
  major: number;
  last_release: string | null;
  last_release_date: string | null;
  days_without_updates: number | null;
  /** Patched majors this Mac can move to, newest first. */
  upgrade_to: number[];
  /** The model runs none of them: replace, not upgrade. */
  limited_by_hardware: boolean;
  message: string;
}

export interface StatusCounts {
  major: number;
  state: VersionState;
  releases_behind: number;
  cves_fixed_later: number;
  actively_exploited_fixed_later: number;
  kev_fixed_later: number | null;
  severity_fixed_later: SeverityCounts | null;
}

export interface HardwareSupport {
  model: string;
  known_model: boolean;
  marketing_name: string | null;
  supported_majors: number[];
  hardware_max_major: number | null;
  newest_feed_major: number | null;
  upgrade_available_by_hardware: boolean | null;
  limited_by_hardware: boolean | null;
}

export interface InFeedStatus {
  result: 'in_feed';
  version: string;
  /** The standing in one sentence. */
  message: string;
  os_label: string;
  known_release: boolean;
  /** For a version the feed does not list: the nearest releases it does. */
  did_you_mean: string[];
  end_of_life: EndOfLife | null;
  newer_than_feed: boolean;
  latest: ReleaseSummary;
  counts: StatusCounts;
  /** Oldest first. */
  missed: ReleaseSummary[];
  /** From the earliest-dated missed release (feeds carry out-of-order dates). */
  days_since_first_missed: number | null;
  /** The earliest deadline among the missed releases (and the upgrade, for an end-of-life major). */
  deadline: UpdateDeadline | null;
  actively_exploited_cve_ids: string[];
  hardware: HardwareSupport | null;
}

export interface NotInFeedStatus {
  result: 'not_in_feed';
  version: string;
  major: number;
  state: 'end_of_life' | 'unknown';
  feed_majors: number[];
  message: string;
  end_of_life: EndOfLife | null;
  /** For an end-of-life major: when moving to a patched one was required by. */
  deadline: UpdateDeadline | null;
  hardware: HardwareSupport | null;
}

export type VersionStatus = InFeedStatus | NotInFeedStatus;

export interface FixedCve {
  id: string;
  fixed_in: string;
  actively_exploited: boolean;
  in_kev: boolean | null;
  severity: string | null;
  nist_url: string;
  apple_notes_url: string | null;
}

export interface SofaVersionReport {
  status: VersionStatus;
  /** Every CVE fixed after the version, sorted by id; empty for not_in_feed. */
  cves: FixedCve[];
}

// ---- Credentials (kept in the OS secret store, unlocked per domain for a limited time) ----

export type CredentialKind = 'jamf' | 'vcenter' | 'vault' | 'aws' | 'azure';

/** How a vCenter's certificate is checked: never silently off, a self-signed one is pinned. */
export type TlsPolicy = { mode: 'verify' } | { mode: 'pinned'; sha256: string };

/** The non-secret half of a credential: where it is used and as whom. */
export type Account =
  | { type: 'jamf_client'; url: string; client_id: string }
  | { type: 'jamf_user'; url: string; username: string }
  | { type: 'vcenter'; host: string; username: string; tls: TlsPolicy }
  | {
      type: 'vault';
      address: string;
      /** Vault Enterprise / OpenBao namespace; absent or null for none. */
      namespace?: string | null;
      /** AppRole role id (the secret is then the secret id); absent or null for a token. */
      role_id?: string | null;
    }
  | {
      type: 'aws';
      /** e.g. "eu-west-1". */
      region: string;
      access_key_id: string;
      /** A role to assume before reading; absent or null for none. */
      role_arn?: string | null;
      /** An endpoint instead of the region's (a VPC endpoint); absent or null for the region's. */
      endpoint?: string | null;
    }
  | {
      type: 'azure';
      /** e.g. "https://contoso.vault.azure.net". */
      vault_url: string;
      /** The directory (tenant) id: a GUID or a domain such as contoso.onmicrosoft.com. */
      tenant_id: string;
      /** The application (client) id. */
      client_id: string;
      /** Where to sign in instead of Azure's public cloud; absent or null for it. */
      authority_host?: string | null;
    };

export type AccountType = Account['type'];

/** One stored credential, as listed: never contains its secret. */
export interface CredentialView {
  id: string;
  kind: CredentialKind;
  label: string;
  /** e.g. "jamf:acme.jamfcloud.com". */
  domain: string;
  account: Account;
  /** ISO 8601 UTC. */
  created: string;
  /** ISO 8601 UTC. */
  last_rotated: string;
  /** ISO 8601 UTC, null when never used. */
  last_used: string | null;
  /** Whole days since last_rotated. */
  age_days: number;
  /** True after 30 days without rotation. */
  rotation_due: boolean;
  unlocked: boolean;
  /** Seconds until it locks itself, when unlocked. */
  seconds_left: number | null;
  /** Where its secret is fetched from when it is kept in a secret manager (issue #14). */
  source?: SourceView | null;
}

/** A secret kept in a secret manager, and what was last fetched (never the secret). */
export interface SourceView {
  /** e.g. "vault://vault.example.com:8200/secret/jamf#client_secret". */
  reference: string;
  /** The secret's version last fetched (Vault's number, or AWS's VersionId), null until the
   * next unlock. */
  version: string | null;
  /** ISO 8601 UTC, when it was fetched. */
  fetched: string | null;
}

// ---- Settings (settings.json, sealed; the same as `latchkey settings`) ----

/** Every setting. Keys as `latchkey settings` names them: `unlock_minutes`, `sofa.feed`, … */
export interface Settings {
  /** How long an unlock lasts (5 to 720). */
  unlock_minutes: number;
  /** Lock a domain after this long unused (1 to unlock_minutes); null for no idle lock. */
  idle_minutes: number | null;
  sofa: {
    /** "v2", "v1", a mirror's https URL or the absolute path of a feed file. */
    feed: string;
    /** 1 to 168. */
    refresh_hours: number;
  };
  deadlines: {
    /** Days for a release fixing an actively exploited CVE (1 to 90). */
    exploited_days: number;
    /** Days for any other security release (1 to 365). */
    standard_days: number;
    /** Days to leave a major Apple no longer patches (1 to 365). */
    major_days: number;
  };
  approvals: {
    /** 30 to 1800. */
    timeout_seconds: number;
  };
  audit: {
    /** 30 to 3650. */
    retention_days: number;
  };
  notifications: {
    enabled: boolean;
  };
}

/** What the broker runs with, and where that differs from the settings. */
export interface SettingsView {
  settings: Settings;
  /** Settings an environment variable overrides for this broker. */
  overrides: { field: string; by: string }[];
  /** Where they are kept; null for a broker that keeps none. */
  file: string | null;
  /** Why the file was refused at start, while nothing has been saved since. */
  refused: string | null;
}

/** MCP over loopback HTTP: whether it is on, and where. */
export interface HttpStatus {
  /** Turned on by the person (kept across restarts). */
  enabled: boolean;
  /** The port it listens on, or will. */
  port: number;
  /** Where assistants connect, while it listens: "http://127.0.0.1:7483/mcp". */
  url: string | null;
  /** Why it is not listening although enabled (the port was taken, say). */
  error: string | null;
  /** How many tokens exist. */
  tokens: number;
}

/** An assistant's HTTP token, as listed: never its value. */
export interface HttpToken {
  name: string;
  /** ISO 8601 UTC. */
  created: string;
}

/** A token just made: the only time its value is seen. */
export interface NewHttpToken {
  name: string;
  token: string;
}

export interface DomainView {
  domain: string;
  kind: CredentialKind;
  /** How many credentials the domain holds. */
  credentials: number;
  unlocked: boolean;
  seconds_left: number | null;
  /** The idle timeout, not the unlock's own duration, is the nearer deadline. */
  idle_limited: boolean;
}

/** How a human is asked before anything is unlocked. */
export interface PresenceInfo {
  kind: 'device_owner' | 'polkit' | 'confirmation' | 'unavailable' | 'scripted';
  /** e.g. "Touch ID or your password". */
  description: string;
}

export interface CredentialsOverview {
  /** Sorted by domain, then label. */
  credentials: CredentialView[];
  domains: DomainView[];
  presence: PresenceInfo;
  /** How long an unlock lasts unless another time is chosen for it: 14400 (4 h) unless configured otherwise. */
  default_ttl_seconds: number;
  /** How long an unlock lasts without use (at most default_ttl_seconds); null: no idle timeout. */
  idle_timeout_seconds: number | null;
  /** Set when the OS secret store cannot be read. */
  store_error: string | null;
  /** Which store keeps the credentials, where there is a choice (Linux); null on macOS. */
  store?: StoreStatus | null;
}

/** Linux: the Secret Service, or Latchkey's own file encrypted with a passphrase typed at each unlock. */
export interface StoreStatus {
  store: 'secret-service' | 'encrypted-file';
  /** Whether the credentials can be read now (the encrypted file is open only while a domain is unlocked). */
  open: boolean;
  file: string;
}

/** What a credentials command rejects with: the message and, when one is to blame, the form field. */
export interface CommandError {
  message: string;
  /** 'label' | 'url' | 'client_id' | 'client_secret' | 'username' | 'password' | 'host' | 'tls.sha256' | 'address' | 'token' | 'kind' | 'ttl' | 'idle_timeout' | null */
  field: string | null;
}

/** Who asked for an action a presence check guards. */
export type Requester = { kind: 'app' } | { kind: 'cli' } | { kind: 'assistant'; name: string };

/** A confirmation the Rust side wants from the person at the desktop. */
export interface PresencePrompt {
  id: number;
  /** Completes "Latchkey wants to …", e.g. "unlock Jamf Pro acme.jamfcloud.com". */
  action: string;
  /** The action with who asked, as one sentence. */
  reason: string;
  requester: Requester;
  /**
   * 'confirm': confirm or cancel one action (Confirm / Cancel). 'allow_assistant': let an
   * assistant not seen before use Latchkey (Allow / Deny); the answer is remembered.
   */
  purpose: PresencePurpose;
}

export type PresencePurpose = 'confirm' | 'allow_assistant';

// ---- Audit log (every assistant call, hash-chained) ----

/** What the broker decided about a call before running it. */
export type AuditDecision =
  | 'allowed'
  | 'approved'
  | 'denied'
  | 'timed_out'
  | 'refused_locked'
  | 'refused_unknown_client'
  | 'refused_invalid'
  | 'refused_rate_limited';

/** The assistant that made a call: named as the allow-list names it (from what the OS says); `client` and `version` as its MCP client said of itself. */
export interface AuditAssistant {
  name: string;
  /** The name its MCP client gave itself, when it differs from `name`. */
  client?: string;
  version: string;
  executable: string | null;
  pid: number | null;
  bundle_id: string | null;
}

/** How a call ended: 'ok', or a short error kind such as "timeout" or "http_403". */
export type AuditResult = 'ok' | { error: string };

/**
 * An intent (a call, before it ran) and its outcome; a checkpoint (where pruning ended); or an
 * admin event (an unlock, a credential change, an approval, a chain break): for those,
 * `assistant` is who acted, `tool` the action (e.g. "unlock") and `arguments` the details.
 */
export interface AuditEntry {
  seq: number;
  /** ISO 8601 UTC. */
  time: string;
  kind: 'intent' | 'outcome' | 'checkpoint' | 'admin';
  assistant: AuditAssistant | null;
  tool: string | null;
  /** The call's arguments (intents) or an admin event's details, already redacted by the Rust side. */
  arguments: unknown | null;
  domain: string | null;
  decision: AuditDecision | null;
  /** How a changing call was approved, e.g. "grant g-1234 (until 14:05)" (intents that say so). */
  approval?: string | null;
  /** Outcomes only. */
  result: AuditResult | null;
  /** Outcomes only. */
  duration_us: number | null;
  /** For an outcome: its intent's seq. */
  intent: number | null;
  /** For a checkpoint: the last entry the prune removed, and its hash. */
  pruned_through: number | null;
  pruned_hash: string | null;
  prev_hash: string;
  hash: string;
}

/** Which entries to find. Absent fields match everything; assistant, tool and domain match exactly. */
export interface AuditFilter {
  assistant?: string;
  /** A tool, or an admin event's action. */
  tool?: string;
  domain?: string;
  decision?: AuditDecision;
  /** ISO 8601 UTC, inclusive. */
  since?: string;
  /** ISO 8601 UTC, inclusive. */
  until?: string;
  /** Words, each matched as a word or word prefix, case-insensitive. */
  text?: string;
  /** Admin events only, or the assistants' calls (intents and outcomes) only. */
  kind?: AuditKind;
}

/** Which kind of entry a filter keeps. */
export type AuditKind = 'admin' | 'tool';

export type AuditTotal = { exact: number } | { at_least: number };

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** Cursor: pass as `before` for the next (older) page; null when this is the last. */
  next: number | null;
  total: AuditTotal;
}

export interface ChainStatus {
  ok: boolean;
  /** Every entry from `first` through this one hashes and links correctly (0: none). */
  verified_through: number;
  /** Where the chain starts: 1, or the first entry after a pruned prefix (0 if empty). */
  first: number;
  /** `kind` (when the backend sends it) is the Rust side's `Tamper` kind, e.g. "edited", "broken", "unanchored". */
  problem: { seq: number; message: string; kind?: string } | null;
  /** What the anchored head said, e.g. "confirmed", "not_configured", "nothing_saved", "contradicted". */
  anchor: string;
}

export type AuditExportFormat = 'jsonl' | 'csv';

/** Values recent entries hold, for the filters' suggestions. */
export interface AuditFacets {
  assistants: string[];
  tools: string[];
  /** Admin actions ("unlock", "credential.add", …); absent from older backends. */
  actions?: string[];
  domains: string[];
}

// ---- Assistants (which programs may use the MCP server) ----

export type AssistantVerdict = 'allowed' | 'denied';

export interface AssistantView {
  /** The executable (or .app bundle) the decision is remembered by. */
  path: string;
  name: string;
  bundle_id: string | null;
  /** macOS: the team id of its valid code signature; another team at the same path is asked about again. */
  team_id: string | null;
  verdict: AssistantVerdict;
  /** ISO 8601 UTC. */
  first_seen: string;
  /** ISO 8601 UTC. */
  last_seen: string;
  calls_today: number;
}

/** How to add Latchkey to one MCP client. */
export interface McpConfigSnippet {
  /** 'claude-desktop' | 'claude-code' | 'cursor'. */
  client: string;
  title: string;
  /** Where it goes: a file path, or a shell command to run. */
  location: string;
  snippet: string;
}

// ---- Jamf Pro (a fleet's macOS versions against SOFA; a credential's connection check) ----

/** How a Mac's macOS version stands against the SOFA feed. */
export type FleetState = 'current' | 'behind' | 'end_of_life' | 'unknown_version' | 'unreadable' | 'not_judged';

/** How many Macs run one macOS version. */
export interface FleetVersionCount {
  os_version: string;
  state: FleetState;
  devices: number;
}

/** One Mac in a Jamf Pro inventory, with how far behind it is. */
export interface FleetComputer {
  /** Jamf Pro's computer id. */
  id: string;
  name: string | null;
  serial: string | null;
  user: string | null;
  model: string | null;
  os_version: string | null;
  state: FleetState;
  /** null ("n/a") when the feed does not list its version. */
  releases_behind: number | null;
  missing_cves: number | null;
  missing_exploited_cves: number | null;
  /** When its missed updates are required by; null when current or not judged. */
  deadline: UpdateDeadline | null;
  /** ISO 8601 UTC. */
  last_contact: string | null;
  days_since_contact: number | null;
}

/** A Jamf Pro fleet against the SOFA feed, as the broker built (and caches) it. */
export interface FleetSecurityReport {
  server: string;
  /** ISO 8601 UTC. */
  generated_at: string;
  /** Which inventory endpoint the computers came from. */
  inventory_api: string;
  /** The SOFA feed the versions were judged against (null when there was none). */
  macos_feed: FeedInfo | null;
  /** Why macOS currency could not be judged, and how to fix it; the rest of the report stands. */
  macos_currency_unavailable: string | null;
  total: number;
  current: number;
  behind: number;
  /** On a macOS major Apple no longer patches. */
  end_of_life: number;
  /** On a version the feed does not list. */
  unknown_version: number;
  /** Reporting no macOS version, or one that cannot be read. */
  unreadable: number;
  /** Not judged for want of a feed. */
  not_judged: number;
  /** Macs missing at least one fix for an actively exploited CVE. */
  missing_exploited_fixes: number;
  limited_by_hardware: number;
  /** Macs past their update deadline. */
  overdue: number;
  distribution: FleetVersionCount[];
  /** Most missing actively exploited fixes first. */
  computers: FleetComputer[];
  /** Computers left out of `computers` (counted in the totals). */
  computers_omitted: number;
}

/** Pages of a fleet's inventory loaded so far, while a report is built. */
export interface FleetProgress {
  domain: string;
  loaded: number;
  total: number;
}

/** What a Jamf Pro credential's connection test found. */
export interface ConnectionCheck {
  server: string;
  /** The Jamf Pro version, when the server said. */
  version: string | null;
  /** How it authenticated, e.g. "API client". */
  auth: string;
  token_endpoint: string;
  inventory_api: string;
  computers: number | null;
  /** The account's privileges against what Latchkey's tools need; null when the server would not say. */
  privileges: PrivilegeCheck | null;
  elapsed_ms: number;
}

/** How a Jamf Pro account's privileges (GET /api/v1/auth) compare with `latchkey jamf privileges`. */
export interface PrivilegeCheck {
  /** ADMINISTRATOR, AUDITOR, CUSTOM, … */
  privilege_set: string | null;
  granted: number;
  /** Privileges beyond any tool's needs, riskiest first. */
  beyond: string[];
  /** Privileges a tool needs that the account lacks. */
  missing: { privilege: string; tools: string[] }[];
  over_privileged: boolean;
  /** The check in a sentence. */
  summary: string;
}

// ---- Approvals (changes assistants asked for, waiting for the person) ----

/** Who asked for a change, as a person recognises it. */
export interface ApprovalAssistant {
  /** As the allow-list and the audit name it, from what the OS says (e.g. "Claude", "python3.11 running tool.py"). */
  name: string;
  /** The name its MCP client gave itself (e.g. "claude-code"), when it differs: the client chooses it. */
  client?: string;
  /** The program the OS says it is. */
  executable: string | null;
  /** macOS: the team id of its valid code signature. */
  team_id: string | null;
}

/** One thing a change touches, by name and id (e.g. a Mac and its Jamf Pro computer id). */
export interface ChangeTarget {
  name: string;
  id: string;
}

/** A change waiting for the person's answer. */
export interface ApprovalRequest {
  id: string;
  assistant: ApprovalAssistant;
  /** The MCP tool, e.g. "jamf_plan_os_update". */
  tool: string;
  /** e.g. "jamf:acme.jamfcloud.com". */
  domain: string | null;
  targets: ChangeTarget[];
  /** The change in plain words, e.g. "schedule macOS 15.7.9 on 34 Macs with a deadline of 13 Dec 2026; fixes 3 actively exploited CVEs". */
  summary: string;
  /** The tool's full preview. */
  details: unknown;
  /** ISO 8601 UTC. */
  asked_at: string;
  /** ISO 8601 UTC: unanswered by then, it counts as denied. */
  expires_at: string;
}

/** An approval remembered for a while: the same assistant's same call is let through until it expires. */
export interface ApprovalGrant {
  id: string;
  assistant: ApprovalAssistant;
  tool: string;
  domain: string | null;
  targets: ChangeTarget[];
  summary: string;
  /** ISO 8601 UTC. */
  created_at: string;
  /** ISO 8601 UTC. */
  expires_at: string;
}

// ---- vCenter (an unlocked vCenter's inventory; a VM's power, the person asking being the approval) ----

/** What a vCenter credential's connection test found. */
export interface VcenterCheck {
  /** host[:port]. */
  server: string;
  /** The account as vCenter names it, e.g. "VSPHERE.LOCAL\\Administrator". */
  user: string | null;
  /** Which REST API answered: "api" (7.0 U2 and later) or "rest" (6.5, 6.7). */
  api: 'api' | 'rest' | null;
  /** The pinned certificate's SHA-256 ("AB:CD:…"), null when the system's roots vouch for it. */
  pinned: string | null;
  vms: number;
  hosts: number;
}

/** The certificate a vCenter presents, before its credential is added. */
export interface CertificateProbe {
  /** SHA-256 of the certificate, "AB:CD:…" as vCenter shows it. */
  sha256: string;
  /** Whether the system's roots already trust it (then it is verified, not pinned). */
  trusted: boolean;
}

export type PowerState = 'POWERED_ON' | 'POWERED_OFF' | 'SUSPENDED';
export type PowerAction = 'start' | 'stop' | 'reset' | 'suspend' | 'shutdown' | 'reboot';

export interface VmSummary {
  /** e.g. "vm-123". */
  id: string;
  name: string;
  power_state: PowerState | string | null;
  cpu_count: number | null;
  memory_mib: number | null;
}

export interface VmPage {
  total: number;
  offset: number;
  vms: VmSummary[];
  /** More than vCenter lists at once matched, so the VMs were listed host by host. */
  listed_by_host: boolean;
}

export interface VmDetails {
  id: string;
  name: string | null;
  power_state: string | null;
  guest_os: string | null;
  cpu: { count?: number | null; cores_per_socket?: number | null } | null;
  memory: { size_mib?: number | null } | null;
  [more: string]: unknown;
}

export interface HostSummary {
  id: string;
  name: string;
  connection_state: string | null;
  power_state: string | null;
}

export interface ClusterSummary {
  id: string;
  name: string;
  ha_enabled: boolean | null;
  drs_enabled: boolean | null;
}

export interface DatastoreSummary {
  id: string;
  name: string;
  type: string | null;
  capacity_bytes: number | null;
  free_bytes: number | null;
  used_percent: number | null;
}

/** A list the vsphere_list_* tools answer with. */
export interface VcenterList<T> {
  domain: string;
  total: number;
  items: T[];
}

/** What the vCenter page reads, by the MCP tool of the same name (each read is on the audit log). */
export type VcenterRead =
  | { read: 'vms'; domain: string; name: string | null; power_state: PowerState | null; host: string | null; offset: number; limit: number }
  | { read: 'vm'; domain: string; vm: string }
  | { read: 'hosts'; domain: string }
  | { read: 'clusters'; domain: string }
  | { read: 'datastores'; domain: string };

/** What a power action did. */
export interface VmPowerResult {
  summary: string;
  /** "done", or "already_in_state" when nothing needed doing. */
  outcome: 'done' | 'already_in_state';
  power_state: string | null;
}

// ---- Jamf Pro software update plans (a change: the person asking in the app is the approval) ----

/** What a plan would do with one Mac. */
export type PlanAction =
  | 'update'
  | 'already_on_target'
  | 'newer_than_target'
  | 'other_major'
  | 'not_in_feed'
  | 'unreadable_version';

/** One Mac in a plan preview. */
export interface PlanPreviewComputer {
  id: string;
  serial: string | null;
  name: string | null;
  current_version: string | null;
  /** The version it would go to (also set when it is already there). */
  target_version: string | null;
  action: PlanAction;
  missed_releases: number;
  actively_exploited_cve_ids: string[];
}

/** The Macs going to one version, by one deadline. */
export interface PlanPreviewPlan {
  target_version: string;
  computers: number;
  /** In each Mac's local time, e.g. "2026-12-13T17:00:00". */
  deadline: string;
  /** Why that deadline, in plain words. */
  deadline_reason: string;
  cves_fixed: number;
  actively_exploited_cve_ids: string[];
}

/** What a software update plan would do, before anything is sent to Jamf Pro. */
export interface PlanPreview {
  /** One line in plain words. */
  summary: string;
  /** One plan per target version, newest first. */
  plans: PlanPreviewPlan[];
  /** Every Mac asked about, in the order given. */
  computers: PlanPreviewComputer[];
  /** Macs left out (already on their target, or not plannable). */
  skipped: number;
}

/** What a software update plan asks for: these Macs, optionally to one version and by one date. */
export interface PlanRequest {
  /** Jamf Pro computer ids. */
  computer_ids: string[];
  /** e.g. "15.7.9"; null: the newest release of each Mac's own major. */
  version: string | null;
  /** "2026-12-13" (forced at 17:00 on each Mac); null: worked out from the releases missed. */
  deadline: string | null;
}

/** What a software update plan did: the plans Jamf Pro created, one set per target version. */
export interface PlanResult {
  /** What was approved, in plain words. */
  summary: string;
  created: { plans: { plan_id: string; device_id: string | null }[] }[];
}

/** Stops a subscription; safe to call more than once, and before it has started. */
export type Unsubscribe = () => void;

/** Any rejection as a CommandError: commands reject with one, older ones with a plain string. */
export function commandError(e: unknown): CommandError {
  if (typeof e === 'string') return { message: e, field: null };
  if (e && typeof e === 'object' && 'message' in e && typeof e.message === 'string') {
    const field = 'field' in e && typeof e.field === 'string' ? e.field : null;
    return { message: e.message, field };
  }
  return { message: String(e), field: null };
}

/** Listens for a Tauri event, handing its payload to `handler` until the returned function is called. */
function subscribe<T>(event: string, handler: (payload: T) => void): Unsubscribe {
  let stop: (() => unknown) | null = null;
  let stopped = false;
  const end = (un: () => unknown) => Promise.resolve().then(un).catch(() => {});
  listen<T>(event, (e) => {
    if (!stopped) handler(e.payload);
  }).then(
    (un) => (stopped ? end(un) : (stop = un)),
    (e) => console.error(`cannot listen for ${event}: ${commandError(e).message}`),
  );
  return () => {
    if (stopped) return;
    stopped = true;
    if (stop) end(stop);
  };
}

export interface Backend {
  appStatus(): Promise<AppStatus>;
  /** The feed as currently held (fetched or cached), summarised. */
  sofaOverview(): Promise<SofaOverview>;
  /** How a macOS version stands against the feed. Rejects with a message for a malformed version. */
  sofaStatus(version: string): Promise<SofaVersionReport>;
  /** Fetches the feed now. Rejects with a message if no feed can be had at all. */
  sofaRefresh(): Promise<SofaOverview>;
  /** Opens an https link in the default browser (only hosts the app's capabilities allow). */
  openExternal(url: string): Promise<void>;

  /** Every credential and domain, without secrets. */
  credentialsOverview(): Promise<CredentialsOverview>;
  /** Problems with a new credential's non-secret fields, one per field; empty when it would do. */
  credentialsCheck(label: string, account: Account): Promise<CommandError[]>;
  /** Stores a credential. Rejects with a CommandError. */
  /**
   * Stores a new credential; with `source` ("vault://DOMAIN/MOUNT/PATH#FIELD") its secret stays in
   * that secret manager (`secret` is then empty) and is fetched at each unlock.
   */
  credentialsAdd(label: string, account: Account, secret: string, source?: string | null): Promise<CredentialView>;
  /**
   * Changes a credential's label and the non-secret fields of its account. The secret is kept and
   * the account's type cannot change. When the account changes and its domain is unlocked, the
   * domain is locked. Rejects with a CommandError (field: label, url, client_id, username, host,
   * tls.sha256, address or kind).
   */
  credentialsEdit(id: string, label: string, account: Account): Promise<CredentialView>;
  /** Replaces a credential's secret. */
  credentialsRotate(id: string, secret: string): Promise<CredentialView>;
  /**
   * Keeps a credential's secret in a secret manager at `source` from now on (the one kept here is
   * deleted and the domain locked: its next unlock fetches from there), or, with `source` null,
   * here with the new `secret`. Asks for presence. Rejects with a CommandError (field:
   * secret_from, or the secret's own field).
   */
  credentialsMoveSecret(id: string, source: string | null, secret: string | null): Promise<CredentialView>;
  credentialsRemove(id: string): Promise<void>;
  /**
   * Unlocks one domain (null: all) for `ttlMinutes` (null: the default). Resolves only once a
   * human confirmed; rejects with a CommandError such as "the confirmation was declined". With
   * Latchkey's encrypted store (Linux) it needs the store's `passphrase`: without one it rejects
   * with the field "passphrase".
   */
  credentialsUnlock(domain: string | null, ttlMinutes: number | null, passphrase?: string): Promise<CredentialsOverview>;
  /** Locks one domain (null: all). */
  credentialsLock(domain: string | null): Promise<CredentialsOverview>;
  /**
   * Sets (and saves) the unlock policy for later unlocks: the default unlock time (5 min to 12 h)
   * and the idle timeout (1 min to the unlock time; null: none). Unlocks already running keep
   * their times. Rejects with a CommandError, field 'ttl' or 'idle_timeout' for a value out of range.
   */
  credentialsSetPolicy(unlockMinutes: number, idleMinutes: number | null): Promise<CredentialsOverview>;
  /** Answers a presence prompt shown in the app. */
  presenceAnswer(id: number, approved: boolean): Promise<void>;

  /** What the broker runs with. */
  settingsGet(): Promise<SettingsView>;
  /** Every problem with `settings`, by field (`sofa.feed`); empty when they can be saved. */
  settingsCheck(settings: Settings): Promise<CommandError[]>;
  /** Saves and applies `settings` (presence when one weakens a guard); what is then in force. */
  settingsSet(settings: Settings): Promise<SettingsView>;
  /** Whether MCP over loopback HTTP is on, and its URL. */
  httpStatus(): Promise<HttpStatus>;
  /** Turns it on at once (presence first); `port` null: the one kept. */
  httpEnable(port: number | null): Promise<HttpStatus>;
  httpDisable(): Promise<HttpStatus>;
  /** The assistants' tokens by name. */
  httpTokens(): Promise<HttpToken[]>;
  /** Makes a token for `name` (presence first): the only time its value is seen. */
  httpTokenCreate(name: string): Promise<NewHttpToken>;
  /** Revokes the token `name`; whether there was one. */
  httpTokenRevoke(name: string): Promise<boolean>;
  /** Whether the app starts at login (the OS's own record). */
  launchAtLogin(): Promise<boolean>;
  /** Starts the app at login or stops doing so; whether it now does. */
  setLaunchAtLogin(enabled: boolean): Promise<boolean>;

  /** One page of matching audit entries, newest first, older than `before` (null: the newest). */
  auditSearch(filter: AuditFilter, before: number | null, limit: number): Promise<AuditPage>;
  /** Walks the hash chain and checks it against the anchor. */
  auditVerify(): Promise<ChainStatus>;
  /** Acknowledges a break in the chain (presence follows); whether there was one. */
  auditAcknowledge(): Promise<boolean>;
  /** Writes the entries matching `filter` to a file; resolves with its path. */
  auditExport(filter: AuditFilter, format: AuditExportFormat): Promise<string>;
  /** Assistant names, tools and domains recent entries hold. */
  auditFacets(): Promise<AuditFacets>;

  /** Every assistant decided about, most recently seen first. */
  assistantsList(): Promise<AssistantView[]>;
  /** Allows or denies an assistant; resolves with the whole list. */
  assistantsSet(path: string, verdict: AssistantVerdict): Promise<AssistantView[]>;
  /** Forgets an assistant (it is asked about again next time); resolves with the whole list. */
  assistantsForget(path: string): Promise<AssistantView[]>;
  /** Configuration to paste into each supported MCP client. */
  mcpConfigSnippets(): Promise<McpConfigSnippet[]>;

  /**
   * A Jamf Pro fleet's macOS versions against SOFA, for an unlocked domain ("jamf:acme.jamfcloud.com").
   * The broker caches a report for a while; `refresh` builds a new one. Rejects with a message.
   */
  jamfFleetReport(domain: string, refresh: boolean): Promise<FleetSecurityReport>;
  /** Signs in with a Jamf Pro credential and reads a little; rejects with a message. Asks for presence when locked. */
  jamfTestConnection(id: string): Promise<ConnectionCheck>;

  /** Signs in to a vCenter with a stored credential and counts what it sees. Asks for presence when locked. */
  vcenterTestConnection(id: string): Promise<VcenterCheck>;
  /** The certificate `host` presents (no credential is sent), for the add form to pin a self-signed one. */
  vcenterCertificate(host: string): Promise<CertificateProbe>;
  /** VMs of an unlocked vCenter domain ("vcenter:vc01.example.com"), a page at a time (vsphere_list_vms's answer). */
  vcenterVms(domain: string, host: string | null, offset: number, limit: number): Promise<VmPage & { domain: string }>;
  /** One VM in detail (vsphere_vm_details's answer). */
  vcenterVm(domain: string, vm: string): Promise<VmDetails & { domain: string }>;
  vcenterHosts(domain: string): Promise<VcenterList<HostSummary>>;
  vcenterClusters(domain: string): Promise<VcenterList<ClusterSummary>>;
  vcenterDatastores(domain: string): Promise<VcenterList<DatastoreSummary>>;
  /** A VM's power, after the person confirms (presence); rejects with a message. */
  vcenterPower(domain: string, vm: string, action: PowerAction): Promise<VmPowerResult>;

  /** Changes waiting for the person, oldest first. */
  approvalsPending(): Promise<ApprovalRequest[]>;
  /**
   * Approves a waiting change once (rememberMinutes null) or also the same call for that many
   * minutes (at most 60). The Rust side asks for presence first; resolves with the grant made (or
   * null), rejects with a message (declined, already answered, timed out).
   */
  approvalsApprove(id: string, rememberMinutes: number | null): Promise<ApprovalGrant | null>;
  /** Denies a waiting change: the assistant is told no and nothing changes. */
  approvalsDeny(id: string): Promise<void>;
  /** Approvals remembered for a while, soonest to expire first. */
  approvalsGrants(): Promise<ApprovalGrant[]>;
  /** Revokes a remembered approval at once. */
  approvalsRevoke(grantId: string): Promise<void>;
  /** A change was asked for, answered or timed out, or a grant was made, revoked or expired. */
  onApprovalsChanged(handler: () => void): Unsubscribe;

  /**
   * What a software update plan for these Macs of an unlocked Jamf domain would do: per Mac its
   * current and target version, each plan's deadline and why. Rejects with a message naming what
   * is wrong (a version not in the SOFA feed, a deadline in the past, no Mac to update).
   */
  jamfPlanPreview(domain: string, plan: PlanRequest): Promise<PlanPreview>;
  /** Sends the plan to Jamf Pro after the person confirms (presence); rejects with a message. */
  jamfPlanOsUpdate(domain: string, plan: PlanRequest): Promise<PlanResult>;

  /** Something about the stored credentials or their lock state changed: fetch the overview again. */
  onCredentialsChanged(handler: () => void): Unsubscribe;
  /** The Rust side wants a confirmation from the person at the desktop. */
  onPresenceRequest(handler: (prompt: PresencePrompt) => void): Unsubscribe;
  /** A prompt was answered elsewhere or timed out. */
  onPresenceClosed(handler: (id: number) => void): Unsubscribe;
  /** Computers loaded so far while a fleet report is built. */
  onJamfFleetProgress(handler: (progress: FleetProgress) => void): Unsubscribe;
  /** New audit entries were written. */
  onAuditChanged(handler: () => void): Unsubscribe;
  /** The list of assistants changed (one connected, was allowed, denied or forgotten). */
  onAssistantsChanged(handler: () => void): Unsubscribe;
}

export const backend: Backend = {
  appStatus: () => invoke<AppStatus>('app_status'),
  sofaOverview: () => invoke<SofaOverview>('sofa_overview'),
  sofaStatus: (version) => invoke<SofaVersionReport>('sofa_status', { version }),
  sofaRefresh: () => invoke<SofaOverview>('sofa_refresh'),
  openExternal: (url) => openUrl(url),

  credentialsOverview: () => invoke<CredentialsOverview>('credentials_overview'),
  credentialsCheck: (label, account) => invoke<CommandError[]>('credentials_check', { label, account }),
  credentialsAdd: (label, account, secret, source = null) =>
    invoke<CredentialView>('credentials_add', { label, account, secret, source }),
  credentialsEdit: (id, label, account) => invoke<CredentialView>('credentials_edit', { id, label, account }),
  credentialsRotate: (id, secret) => invoke<CredentialView>('credentials_rotate', { id, secret }),
  credentialsMoveSecret: (id, source, secret) =>
    invoke<CredentialView>('credentials_move_secret', { id, source, secret }),
  credentialsRemove: (id) => invoke<null>('credentials_remove', { id }).then(() => {}),
  credentialsUnlock: (domain, ttlMinutes, passphrase) =>
    invoke<CredentialsOverview>('credentials_unlock', passphrase === undefined ? { domain, ttlMinutes } : { domain, ttlMinutes, passphrase }),
  credentialsLock: (domain) => invoke<CredentialsOverview>('credentials_lock', { domain }),
  credentialsSetPolicy: (unlockMinutes, idleMinutes) =>
    invoke<CredentialsOverview>('credentials_set_policy', { unlockMinutes, idleMinutes }),
  presenceAnswer: (id, approved) => invoke<null>('presence_answer', { id, approved }).then(() => {}),

  settingsGet: () => invoke<SettingsView>('settings_get'),
  settingsCheck: (settings) => invoke<CommandError[]>('settings_check', { settings }),
  settingsSet: (settings) => invoke<SettingsView>('settings_set', { settings }),
  httpStatus: () => invoke<HttpStatus>('http_status'),
  httpEnable: (port) => invoke<HttpStatus>('http_enable', { port }),
  httpDisable: () => invoke<HttpStatus>('http_disable'),
  httpTokens: () => invoke<HttpToken[]>('http_tokens'),
  httpTokenCreate: (name) => invoke<NewHttpToken>('http_token_create', { name }),
  httpTokenRevoke: (name) => invoke<boolean>('http_token_revoke', { name }),
  launchAtLogin: () => invoke<boolean>('launch_at_login'),
  setLaunchAtLogin: (enabled) => invoke<boolean>('set_launch_at_login', { enabled }),

  auditSearch: (filter, before, limit) => invoke<AuditPage>('audit_search', { filter, before, limit }),
  auditVerify: () => invoke<ChainStatus>('audit_verify'),
  auditAcknowledge: () => invoke<boolean>('audit_acknowledge'),
  auditExport: (filter, format) => invoke<string>('audit_export', { filter, format }),
  auditFacets: () => invoke<AuditFacets>('audit_facets'),

  assistantsList: () => invoke<AssistantView[]>('assistants_list'),
  assistantsSet: (path, verdict) => invoke<AssistantView[]>('assistants_set', { path, verdict }),
  assistantsForget: (path) => invoke<AssistantView[]>('assistants_forget', { path }),
  mcpConfigSnippets: () => invoke<McpConfigSnippet[]>('mcp_config_snippets'),

  jamfFleetReport: (domain, refresh) => invoke<FleetSecurityReport>('jamf_fleet_report', { domain, refresh }),
  jamfTestConnection: (id) => invoke<ConnectionCheck>('jamf_test_connection', { id }),

  vcenterTestConnection: (id) => invoke<VcenterCheck>('vcenter_test_connection', { id }),
  vcenterCertificate: (host) => invoke<CertificateProbe>('vcenter_certificate', { host }),
  vcenterVms: (domain, host, offset, limit) =>
    invoke<VmPage & { domain: string }>('vcenter_read', { read: { read: 'vms', domain, name: null, power_state: null, host, offset, limit } satisfies VcenterRead }),
  vcenterVm: (domain, vm) => invoke<VmDetails & { domain: string }>('vcenter_read', { read: { read: 'vm', domain, vm } satisfies VcenterRead }),
  vcenterHosts: (domain) => invoke<VcenterList<HostSummary>>('vcenter_read', { read: { read: 'hosts', domain } satisfies VcenterRead }),
  vcenterClusters: (domain) => invoke<VcenterList<ClusterSummary>>('vcenter_read', { read: { read: 'clusters', domain } satisfies VcenterRead }),
  vcenterDatastores: (domain) => invoke<VcenterList<DatastoreSummary>>('vcenter_read', { read: { read: 'datastores', domain } satisfies VcenterRead }),
  vcenterPower: (domain, vm, action) => invoke<VmPowerResult>('vcenter_power', { request: { domain, vm, action } }),

  approvalsPending: () => invoke<ApprovalRequest[]>('approvals_pending'),
  approvalsApprove: (id, rememberMinutes) =>
    invoke<ApprovalGrant | null>('approvals_approve', { id, rememberMinutes }),
  approvalsDeny: (id) => invoke<null>('approvals_deny', { id }).then(() => {}),
  approvalsGrants: () => invoke<ApprovalGrant[]>('approvals_grants'),
  approvalsRevoke: (grantId) => invoke<null>('approvals_revoke', { grant: grantId }).then(() => {}),
  onApprovalsChanged: (handler) => subscribe<unknown>('approvals-changed', () => handler()),

  jamfPlanPreview: (domain, plan) => invoke<PlanPreview>('jamf_plan_preview', { domain, plan }),
  jamfPlanOsUpdate: (domain, plan) => invoke<PlanResult>('jamf_plan_os_update', { domain, plan }),

  onCredentialsChanged: (handler) => subscribe<unknown>('credentials-changed', () => handler()),
  onPresenceRequest: (handler) => subscribe<PresencePrompt>('presence-request', handler),
  onPresenceClosed: (handler) => subscribe<{ id: number }>('presence-closed', (p) => handler(p.id)),
  onJamfFleetProgress: (handler) => subscribe<FleetProgress>('jamf-fleet-progress', handler),
  onAuditChanged: (handler) => subscribe<unknown>('audit-changed', () => handler()),
  onAssistantsChanged: (handler) => subscribe<unknown>('assistants-changed', () => handler()),
};
