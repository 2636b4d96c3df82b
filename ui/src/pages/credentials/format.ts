// Small pure helpers for the Credentials page: names, countdowns, ages and the add and edit forms' fields.
import type {
  Account,
  AccountType,
  CertificateProbe,
  CommandError,
  ConnectionCheck,
  CredentialKind,
  PrivilegeCheck,
  TlsPolicy,
  VcenterCheck,
} from '../../lib/backend';
import { formatDuration } from '../audit/format';
import { countText } from '../sofa/format';

export const KIND_NAMES: Record<CredentialKind, string> = {
  jamf: 'Jamf Pro',
  vcenter: 'vCenter',
  vault: 'HashiCorp Vault',
  aws: 'AWS Secrets Manager',
  azure: 'Azure Key Vault',
};

/** The add form's kind picker, in order. */
export const ACCOUNT_TYPES: { type: AccountType; name: string }[] = [
  { type: 'jamf_client', name: 'Jamf Pro API client' },
  { type: 'jamf_user', name: 'Jamf Pro user account' },
  { type: 'vcenter', name: 'vCenter' },
  { type: 'vault', name: 'HashiCorp Vault' },
  { type: 'aws', name: 'AWS Secrets Manager' },
  { type: 'azure', name: 'Azure Key Vault' },
];

/** The name of each form field, as labels and error messages use it (keys as the backend names fields). */
export const FIELD_NAMES: Record<string, string> = {
  label: 'Label',
  url: 'Jamf Pro URL',
  client_id: 'Client ID',
  client_secret: 'Client secret',
  username: 'Username',
  password: 'Password',
  host: 'vCenter host',
  'tls.mode': 'Certificate',
  'tls.sha256': 'SHA-256 fingerprint',
  address: 'Vault address',
  namespace: 'Namespace',
  role_id: 'AppRole role ID',
  token: 'Token',
  secret_id: 'AppRole secret ID',
  region: 'Region',
  access_key_id: 'Access key ID',
  secret_access_key: 'Secret access key',
  role_arn: 'Role to assume',
  endpoint: 'Endpoint',
  vault_url: 'Vault URL',
  tenant_id: 'Tenant ID',
  authority_host: 'Sign-in host',
  secret_kept: 'Secret',
  secret_from: 'Secret from',
};

/** The field that holds the secret for each kind of account (a Vault's with an AppRole role id: its secret id). */
export function secretField(
  type: AccountType,
  roleId: string | null = null,
): 'client_secret' | 'password' | 'token' | 'secret_id' | 'secret_access_key' {
  if (type === 'jamf_client' || type === 'azure') return 'client_secret';
  if (type === 'vault') return roleId?.trim() ? 'secret_id' : 'token';
  if (type === 'aws') return 'secret_access_key';
  return 'password';
}

/** A secret manager a credential's secret can be fetched from. */
export type SecretSource = 'vault' | 'aws' | 'azure';

/** Where a new credential's secret is kept: typed here into the OS store, or in a secret manager. */
export type SecretKept = 'here' | SecretSource;

/** How the add form offers each secret manager, and how its references are written. */
export const SOURCES: Record<SecretSource, { option: string; placeholder: string; hint: string }> = {
  vault: {
    option: 'From HashiCorp Vault or OpenBao (fetched at each unlock)',
    placeholder: 'vault://vault.example.com:8200/secret/jamf/prod#client_secret',
    hint: "vault://, the Vault credential's domain as listed here (without vault:), the KV v2 mount and path, # and the field.",
  },
  aws: {
    option: 'From AWS Secrets Manager (fetched at each unlock)',
    placeholder: 'aws-sm://eu-west-1/jamf/prod#client_secret',
    hint: "aws-sm://, the AWS credential's domain as listed here (without aws:), the secret's name or ARN, and # with the JSON key when the secret holds several.",
  },
  azure: {
    option: 'From Azure Key Vault (fetched at each unlock)',
    placeholder: 'azure-kv://contoso.vault.azure.net/jamf-client-secret',
    hint: "azure-kv://, the Azure credential's domain as listed here (without azure:), and the secret's name (/VERSION for one version).",
  },
};

/** The choices of where a secret is kept, `store` naming the OS store ("the Keychain"). */
export function keptOptions(store: string): { value: SecretKept; label: string }[] {
  return [
    { value: 'here', label: `Kept here, in ${store}` },
    ...(Object.entries(SOURCES) as [SecretSource, { option: string }][]).map(([value, s]) => ({ value, label: s.option })),
  ];
}

/** Which secret manager a reference points into, by its scheme; 'here' without one. */
export function keptAt(reference: string | null | undefined): SecretKept {
  if (!reference) return 'here';
  if (reference.startsWith('aws-sm://')) return 'aws';
  if (reference.startsWith('azure-kv://')) return 'azure';
  return 'vault';
}

/** Whether a kind of account may keep its secret in a secret manager (a secret manager's own may not). */
export function mayKeepElsewhere(type: AccountType): boolean {
  return type !== 'vault' && type !== 'aws' && type !== 'azure';
}

/**
 * The form's fields for a kind of account, in form order, secret last (or, kept in Vault, the
 * reference to it).
 */
export function fieldsFor(
  type: AccountType,
  tls: TlsPolicy['mode'] = 'verify',
  kept: SecretKept = 'here',
  roleId: string | null = null,
): string[] {
  const secret = kept !== 'here' && mayKeepElsewhere(type) ? 'secret_from' : secretField(type, roleId);
  switch (type) {
    case 'jamf_client':
      return ['label', 'url', 'client_id', secret];
    case 'jamf_user':
      return ['label', 'url', 'username', secret];
    case 'vcenter':
      return ['label', 'host', 'username', 'tls.mode', ...(tls === 'pinned' ? ['tls.sha256'] : []), secret];
    case 'vault':
      return ['label', 'address', 'namespace', 'role_id', secret];
    case 'aws':
      return ['label', 'region', 'access_key_id', 'role_arn', 'endpoint', 'secret_access_key'];
    case 'azure':
      return ['label', 'vault_url', 'tenant_id', 'client_id', 'authority_host', 'client_secret'];
  }
}

/** What the add form holds besides the secret. */
export interface Draft {
  label: string;
  url: string;
  client_id: string;
  username: string;
  host: string;
  tls_mode: TlsPolicy['mode'];
  tls_sha256: string;
  address: string;
  namespace: string;
  role_id: string;
  region: string;
  access_key_id: string;
  role_arn: string;
  endpoint: string;
  vault_url: string;
  tenant_id: string;
  authority_host: string;
}

export function emptyDraft(): Draft {
  return {
    label: '',
    url: '',
    client_id: '',
    username: '',
    host: '',
    tls_mode: 'verify',
    tls_sha256: '',
    address: '',
    namespace: '',
    role_id: '',
    region: '',
    access_key_id: '',
    role_arn: '',
    endpoint: '',
    vault_url: '',
    tenant_id: '',
    authority_host: '',
  };
}

/** An optional field as typed: null when left blank. */
function optional(value: string): string | null {
  return value.trim() === '' ? null : value;
}

/** The account a draft describes for a kind (as typed: the backend trims and normalizes). */
export function accountOf(type: AccountType, d: Draft): Account {
  switch (type) {
    case 'jamf_client':
      return { type, url: d.url, client_id: d.client_id };
    case 'jamf_user':
      return { type, url: d.url, username: d.username };
    case 'vcenter':
      return {
        type,
        host: d.host,
        username: d.username,
        tls: d.tls_mode === 'pinned' ? { mode: 'pinned', sha256: d.tls_sha256 } : { mode: 'verify' },
      };
    case 'vault':
      return { type, address: d.address, namespace: optional(d.namespace), role_id: optional(d.role_id) };
    case 'aws':
      return {
        type,
        region: d.region,
        access_key_id: d.access_key_id,
        role_arn: optional(d.role_arn),
        endpoint: optional(d.endpoint),
      };
    case 'azure':
      return {
        type,
        vault_url: d.vault_url,
        tenant_id: d.tenant_id,
        client_id: d.client_id,
        authority_host: optional(d.authority_host),
      };
  }
}

/** A draft holding `label` and `account`'s fields, as the edit dialog starts from. */
export function draftOf(label: string, account: Account): Draft {
  const d = { ...emptyDraft(), label };
  switch (account.type) {
    case 'jamf_client':
      return { ...d, url: account.url, client_id: account.client_id };
    case 'jamf_user':
      return { ...d, url: account.url, username: account.username };
    case 'vcenter':
      return {
        ...d,
        host: account.host,
        username: account.username,
        tls_mode: account.tls.mode,
        tls_sha256: account.tls.mode === 'pinned' ? account.tls.sha256 : '',
      };
    case 'vault':
      return { ...d, address: account.address, namespace: account.namespace ?? '', role_id: account.role_id ?? '' };
    case 'aws':
      return {
        ...d,
        region: account.region,
        access_key_id: account.access_key_id,
        role_arn: account.role_arn ?? '',
        endpoint: account.endpoint ?? '',
      };
    case 'azure':
      return {
        ...d,
        vault_url: account.vault_url,
        tenant_id: account.tenant_id,
        client_id: account.client_id,
        authority_host: account.authority_host ?? '',
      };
  }
}

/** An account's type and non-secret values, in a fixed order. */
function accountValues(a: Account): string[] {
  switch (a.type) {
    case 'jamf_client':
      return [a.type, a.url, a.client_id];
    case 'jamf_user':
      return [a.type, a.url, a.username];
    case 'vcenter':
      return [a.type, a.host, a.username, a.tls.mode, a.tls.mode === 'pinned' ? a.tls.sha256 : ''];
    case 'vault':
      return [a.type, a.address, a.namespace ?? '', a.role_id ?? ''];
    case 'aws':
      return [a.type, a.region, a.access_key_id, a.role_arn ?? '', a.endpoint ?? ''];
    case 'azure':
      return [a.type, a.vault_url, a.tenant_id, a.client_id, a.authority_host ?? ''];
  }
}

/** Whether two accounts say the same, space around values aside (the backend trims them). */
export function sameAccount(a: Account, b: Account): boolean {
  const x = accountValues(a);
  const y = accountValues(b);
  return x.length === y.length && x.every((v, i) => v.trim() === y[i].trim());
}

/** "Jamf Pro API client", as the add form's kind picker names a type. */
export function accountTypeName(type: AccountType): string {
  return ACCOUNT_TYPES.find((t) => t.type === type)?.name ?? type;
}

/** Problems by field: the first for each field, and those for no field shown (or no field at all). */
export function splitErrors(errors: readonly CommandError[], shown: readonly string[]) {
  const byField: Record<string, string> = {};
  const general: string[] = [];
  for (const e of errors) {
    if (e.field && shown.includes(e.field)) byField[e.field] ??= e.message;
    else general.push(e.message);
  }
  return { byField, general };
}

/** "Jamf Pro API client", "vCenter user", "HashiCorp Vault token". */
export function accountKindName(account: Account): string {
  switch (account.type) {
    case 'jamf_client':
      return 'Jamf Pro API client';
    case 'jamf_user':
      return 'Jamf Pro user';
    case 'vcenter':
      return 'vCenter user';
    case 'vault':
      return 'HashiCorp Vault token';
    case 'aws':
      return 'AWS access key';
    case 'azure':
      return 'Azure app registration';
  }
}

/** Who the credential acts as: the client id, user name or access key id; null for a Vault token. */
export function principal(account: Account): string | null {
  switch (account.type) {
    case 'jamf_client':
      return account.client_id;
    case 'jamf_user':
    case 'vcenter':
      return account.username;
    case 'vault':
      return null;
    case 'aws':
      return account.access_key_id;
    case 'azure':
      return account.client_id;
  }
}

/** The host part of a domain: "jamf:acme.jamfcloud.com" gives "acme.jamfcloud.com". */
export function domainHost(domain: string): string {
  const i = domain.indexOf(':');
  return i < 0 ? domain : domain.slice(i + 1);
}

/** "Jamf Pro acme.jamfcloud.com", as prompts and button labels name a domain. */
export function domainName(kind: CredentialKind, domain: string): string {
  return `${KIND_NAMES[kind] ?? kind} ${domainHost(domain)}`;
}

/** Seconds left now, counting down locally from what the backend said at `since` (ms). */
export function secondsLeft(reported: number | null, since: number, now: number): number | null {
  if (reported === null) return null;
  return Math.max(0, reported - Math.floor((now - since) / 1000));
}

/** "3h 59m", "12m 5s", "40s". */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** "Unlocked · 3h 59m", "Unlocked", "Locked". */
export function lockText(unlocked: boolean, left: number | null): string {
  if (!unlocked) return 'Locked';
  return left === null ? 'Unlocked' : `Unlocked · ${formatCountdown(left)}`;
}

/** "rotated today", "rotated yesterday", "rotated 12 days ago". */
export function rotatedText(ageDays: number): string {
  if (ageDays <= 0) return 'rotated today';
  if (ageDays === 1) return 'rotated yesterday';
  return `rotated ${ageDays} days ago`;
}

/** The reminder shown when rotation is due: "Rotate: 45 days old". */
export function rotationReminder(ageDays: number): string {
  return `Rotate: ${ageDays} ${ageDays === 1 ? 'day' : 'days'} old`;
}

export interface Duration {
  minutes: number;
  label: string;
}

const DURATIONS: Duration[] = [
  { minutes: 15, label: '15 min' },
  { minutes: 60, label: '1 h' },
  { minutes: 240, label: '4 h' },
  { minutes: 480, label: '8 h' },
  { minutes: 720, label: '12 h' },
];

/** "15 min", "1 h", "1 h 30 min". */
export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** The unlock durations to offer, the default marked (and added when it is not a standard one). */
export function durations(defaultTtlSeconds: number): { choices: Duration[]; preset: number } {
  const preset = Math.max(1, Math.round(defaultTtlSeconds / 60));
  const choices = DURATIONS.some((d) => d.minutes === preset)
    ? [...DURATIONS]
    : [...DURATIONS, { minutes: preset, label: formatMinutes(preset) }].sort((a, b) => a.minutes - b.minutes);
  return {
    choices: choices.map((d) => (d.minutes === preset ? { ...d, label: `${d.label} (default)` } : d)),
    preset,
  };
}

// ---- The unlock policy: the default unlock time and the idle timeout ----

/** The default unlock times the policy offers, in minutes (the Rust side takes 5 min to 12 h). */
const POLICY_UNLOCK_MINUTES = [15, 30, 60, 120, 240, 480, 720];
/** The idle timeouts the policy offers, in minutes (the Rust side takes 1 min up to the unlock time). */
const POLICY_IDLE_MINUTES = [5, 15, 30, 60, 120];

/** Whole minutes in `seconds`, at least 1. */
export function toMinutes(seconds: number): number {
  return Math.max(1, Math.round(seconds / 60));
}

/** The idle timeout as the policy's idle picker holds it: minutes, or 'off' for none. */
export type IdleChoice = number | 'off';

export function idleChoiceOf(idleTimeoutSeconds: number | null): IdleChoice {
  return idleTimeoutSeconds === null ? 'off' : toMinutes(idleTimeoutSeconds);
}

/** Adds `current` to `list` when it is not one of them, in order. */
function withCurrent(list: number[], current: number | null): Duration[] {
  const minutes = current === null || list.includes(current) ? list : [...list, current].sort((a, b) => a - b);
  return minutes.map((m) => ({ minutes: m, label: formatMinutes(m) }));
}

/** The default unlock times to offer, the current one included even when it is not a standard one. */
export function policyUnlockChoices(currentMinutes: number): Duration[] {
  return withCurrent(POLICY_UNLOCK_MINUTES, currentMinutes);
}

/** The idle timeouts to offer (Off aside), the current one included; longer than `unlockMinutes` disabled. */
export function policyIdleChoices(current: IdleChoice, unlockMinutes: number): (Duration & { disabled: boolean })[] {
  return withCurrent(POLICY_IDLE_MINUTES, current === 'off' ? null : current).map((d) => ({
    ...d,
    disabled: d.minutes > unlockMinutes,
  }));
}

/** The idle timeout kept when the unlock time becomes `unlockMinutes`: the longest offered one that fits. */
export function fitIdle(idle: IdleChoice, unlockMinutes: number): IdleChoice {
  if (idle === 'off' || idle <= unlockMinutes) return idle;
  const fits = POLICY_IDLE_MINUTES.filter((m) => m <= unlockMinutes);
  return fits.length > 0 ? fits[fits.length - 1] : 'off';
}

/** "4 h · no idle lock", "1 h · idle lock after 15 min". */
export function policyText(defaultTtlSeconds: number, idleTimeoutSeconds: number | null): string {
  const unlock = formatMinutes(toMinutes(defaultTtlSeconds));
  const idle = idleTimeoutSeconds === null ? 'no idle lock' : `idle lock after ${formatMinutes(toMinutes(idleTimeoutSeconds))}`;
  return `${unlock} · ${idle}`;
}

// ---- A Jamf Pro credential's connection test ----

/** Where a row's connection test stands: under way, or what it found. */
/** A vCenter's certificate as the add form last looked at it, for the host typed then. */
export type CertificateLook =
  | { host: string; state: 'checking' }
  | { host: string; state: 'done'; probe: CertificateProbe }
  | { host: string; state: 'failed'; message: string };

export type ConnectionOutcome =
  | { state: 'testing' }
  | { state: 'ok'; check: ConnectionCheck }
  | { state: 'vcenter'; check: VcenterCheck }
  | { state: 'failed'; message: string };

/** What a finished connection test found of the account's privileges, if it could tell. */
export function privilegesFound(outcome: ConnectionOutcome | undefined): PrivilegeCheck | null {
  return outcome?.state === 'ok' ? outcome.check.privileges : null;
}

/** How the test signed in, as a person says it: "API client", "user account". */
export function authName(auth: string): string {
  const known: Record<string, string> = {
    api_client: 'API client',
    client_credentials: 'API client',
    jamf_client: 'API client',
    user: 'user account',
    jamf_user: 'user account',
    basic: 'user account',
  };
  return known[auth.toLowerCase()] ?? auth.replace(/_/g, ' ');
}

/** "acme.jamfcloud.com" for "https://acme.jamfcloud.com/": the server as the result line names it. */
export function serverName(server: string): string {
  return server.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

/** "Connected to vc01.example.com:443 as VSPHERE.LOCAL\\Administrator — 30 VMs on 3 hosts (/api, certificate pinned)". */
export function vcenterConnectionText(c: VcenterCheck): string {
  const user = c.user ? ` as ${c.user}` : '';
  const api = c.api === 'rest' ? '/rest API, vCenter 6.5 or 6.7' : '/api';
  const trust = c.pinned ? 'certificate pinned' : 'certificate verified by the system';
  return `Connected to ${c.server}${user} — ${countText(c.vms, 'VM')} on ${countText(c.hosts, 'host')} (${api}, ${trust})`;
}

/** "Connected to acme.jamfcloud.com — Jamf Pro 11.30.1, 1,234 computers (API client, 412 ms)". */
export function connectionText(c: ConnectionCheck): string {
  const product = c.version ? `Jamf Pro ${c.version}` : 'Jamf Pro (version not reported)';
  const computers = c.computers === null ? '' : `, ${countText(c.computers, 'computer')}`;
  const elapsed = formatDuration(c.elapsed_ms * 1000) ?? `${c.elapsed_ms} ms`;
  return `Connected to ${serverName(c.server)} — ${product}${computers} (${authName(c.auth)}, ${elapsed})`;
}
