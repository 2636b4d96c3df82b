// The only module that talks to the Rust side. Components get data through `backend`,
// so tests can drive them with Tauri's mockIPC (or any object with the same shape).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { openUrl } from '@tauri-apps/plugin-opener';

// What crosses IPC is typed by the Rust side: ./generated/ is written from the Rust types
// (src-tauri/src/ts_types.rs; `make ts-types`, and `make test` fails while it is stale).
// Re-exported here, some under the names the UI gives them; only a few views of them are
// written by hand below.
import type {
  Account,
  AppStatus,
  ApprovalRequest,
  AssistantView,
  CertificateProbe,
  ChainStatus,
  ClusterSummary,
  ConnectionCheck,
  CredentialsOverview,
  CredentialView,
  DatastoreSummary,
  FleetSecurityReport,
  HostSummary,
  HttpStatus,
  HttpToken,
  NewHttpToken,
  PlanPreview,
  PowerAction,
  PromptEvent,
  Settings,
  SettingsView,
  SofaOverview,
  VcenterCheck,
  VcenterList,
  VcenterRead,
  VcenterVm,
  VcenterVms,
  VersionStatus,
  VmPowerRequest,
  VmPowerResult,
  // Under the UI's names:
  Assistant as AuditAssistant,
  CallResult as AuditResult,
  ConfigSnippet as McpConfigSnippet,
  ControlError as CommandError,
  Decision as AuditDecision,
  DeviceState as FleetState,
  Entry as AuditEntry,
  ExportFormat as AuditExportFormat,
  Facets as AuditFacets,
  Filter as AuditFilter,
  FleetProgressEvent as FleetProgress,
  Grant as ApprovalGrant,
  Kind as CredentialKind,
  KindFilter as AuditKind,
  PlanAsked as PlanRequest,
  PlanOsUpdateResult as PlanResult,
  PreviewAction as PlanAction,
  PreviewComputer as PlanPreviewComputer,
  PreviewPlan as PlanPreviewPlan,
  Purpose as PresencePurpose,
  SearchPage as AuditPage,
  Total as AuditTotal,
  Verdict as AssistantVerdict,
  VersionCount as FleetVersionCount,
  VersionReport as SofaVersionReport,
} from './generated';

export type * from './generated';
export type {
  ApprovalGrant,
  AssistantVerdict,
  AuditAssistant,
  AuditDecision,
  AuditEntry,
  AuditExportFormat,
  AuditFacets,
  AuditFilter,
  AuditKind,
  AuditPage,
  AuditResult,
  AuditTotal,
  CommandError,
  CredentialKind,
  FleetProgress,
  FleetState,
  FleetVersionCount,
  McpConfigSnippet,
  PlanAction,
  PlanPreviewComputer,
  PlanPreviewPlan,
  PlanRequest,
  PlanResult,
  PresencePurpose,
  SofaVersionReport,
};

/** A version the feed lists: its standing against the feed. */
export type InFeedStatus = Extract<VersionStatus, { result: 'in_feed' }>;
/** A version the feed does not list (end of life, or unknown). */
export type NotInFeedStatus = Extract<VersionStatus, { result: 'not_in_feed' }>;

export type AccountType = Account['type'];

/** A confirmation the Rust side wants from the person at the desktop (`presence-request`). */
export type PresencePrompt = Extract<PromptEvent, { event: 'request' }>;

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
  vcenterVms(domain: string, host: string | null, offset: number, limit: number): Promise<VcenterVms>;
  /** One VM in detail (vsphere_vm_details's answer). */
  vcenterVm(domain: string, vm: string): Promise<VcenterVm>;
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
    invoke<VcenterVms>('vcenter_read', { read: { read: 'vms', domain, name: null, power_state: null, host, offset, limit } satisfies VcenterRead }),
  vcenterVm: (domain, vm) => invoke<VcenterVm>('vcenter_read', { read: { read: 'vm', domain, vm } satisfies VcenterRead }),
  vcenterHosts: (domain) => invoke<VcenterList<HostSummary>>('vcenter_read', { read: { read: 'hosts', domain } satisfies VcenterRead }),
  vcenterClusters: (domain) => invoke<VcenterList<ClusterSummary>>('vcenter_read', { read: { read: 'clusters', domain } satisfies VcenterRead }),
  vcenterDatastores: (domain) => invoke<VcenterList<DatastoreSummary>>('vcenter_read', { read: { read: 'datastores', domain } satisfies VcenterRead }),
  vcenterPower: (domain, vm, action) => invoke<VmPowerResult>('vcenter_power', { request: { domain, vm, action } satisfies VmPowerRequest }),

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
  onPresenceClosed: (handler) => subscribe<Extract<PromptEvent, { event: 'closed' }>>('presence-closed', (p) => handler(p.id)),
  onJamfFleetProgress: (handler) => subscribe<FleetProgress>('jamf-fleet-progress', handler),
  onAuditChanged: (handler) => subscribe<unknown>('audit-changed', () => handler()),
  onAssistantsChanged: (handler) => subscribe<unknown>('assistants-changed', () => handler()),
};
