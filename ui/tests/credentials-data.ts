// Mock credentials backend data for the UI tests: three domains, one of them unlocked, one
// credential overdue for rotation, shaped as the Rust side's credentials_overview returns them.
import type { ConnectionCheck, CredentialView, CredentialsOverview, DomainView } from '../src/lib/backend';

export const JAMF = 'jamf:acme.jamfcloud.com';
export const VCENTER = 'vcenter:vc01.example.com';
export const VAULT = 'vault:vault.example.com:8200';

/** 3 h 59 min and a few seconds: shown as "3h 59m". */
export const JAMF_LEFT = 14_395;

const DAY = 86_400_000;

function daysAgo(days: number): string {
  return new Date(Date.now() - days * DAY).toISOString();
}

export const jamfClient: CredentialView = {
  id: 'c1a2b3',
  kind: 'jamf',
  label: 'Acme production',
  domain: JAMF,
  account: { type: 'jamf_client', url: 'https://acme.jamfcloud.com', client_id: '7d1e1f5c-api' },
  created: daysAgo(40),
  last_rotated: daysAgo(12),
  last_used: daysAgo(0),
  age_days: 12,
  rotation_due: false,
  unlocked: true,
  seconds_left: JAMF_LEFT,
  source: null,
};

export const vcenter: CredentialView = {
  id: 'd4e5f6',
  kind: 'vcenter',
  label: 'vCenter admin',
  domain: VCENTER,
  account: {
    type: 'vcenter',
    host: 'vc01.example.com',
    username: 'administrator@vsphere.local',
    tls: { mode: 'pinned', sha256: 'ab'.repeat(32) },
  },
  created: daysAgo(45),
  last_rotated: daysAgo(45),
  last_used: null,
  age_days: 45,
  rotation_due: true,
  unlocked: false,
  seconds_left: null,
  source: null,
};

export const vault: CredentialView = {
  id: 'a7b8c9',
  kind: 'vault',
  label: 'Vault ops',
  domain: VAULT,
  account: { type: 'vault', address: 'https://vault.example.com:8200', namespace: null, role_id: null },
  created: daysAgo(1),
  last_rotated: daysAgo(1),
  last_used: null,
  age_days: 1,
  rotation_due: false,
  unlocked: false,
  seconds_left: null,
  source: null,
};

/** The domains of `credentials`, lock state taken from their first credential. */
export function domainsOf(credentials: CredentialView[]): DomainView[] {
  const domains: DomainView[] = [];
  for (const c of credentials) {
    const d = domains.find((x) => x.domain === c.domain);
    if (d) d.credentials++;
    else
      domains.push({
        domain: c.domain,
        kind: c.kind,
        credentials: 1,
        unlocked: c.unlocked,
        seconds_left: c.seconds_left,
        idle_limited: false,
      });
  }
  return domains;
}

export function overview(over: Partial<CredentialsOverview> = {}): CredentialsOverview {
  const credentials = over.credentials ?? [jamfClient, vault, vcenter];
  return {
    credentials,
    domains: domainsOf(credentials),
    presence: { kind: 'confirmation', description: 'a confirmation in the Latchkey app (not biometrics)' },
    default_ttl_seconds: 14_400,
    idle_timeout_seconds: null,
    store_error: null,
    store: null,
    ...over,
  };
}

/** `o` with `domains` (null: all) unlocked for `seconds`, or locked when `seconds` is null. */
export function withLock(o: CredentialsOverview, domains: string[] | null, seconds: number | null): CredentialsOverview {
  const hit = (domain: string) => domains === null || domains.includes(domain);
  const state = { unlocked: seconds !== null, seconds_left: seconds };
  return {
    ...o,
    credentials: o.credentials.map((c) => (hit(c.domain) ? { ...c, ...state } : c)),
    domains: o.domains.map((d) => (hit(d.domain) ? { ...d, ...state } : d)),
  };
}

/** What jamf_test_connection returns for `jamfClient`. */
export const connectionCheck: ConnectionCheck = {
  server: 'https://acme.jamfcloud.com',
  version: '11.30.1',
  auth: 'api_client',
  token_endpoint: '/api/oauth/token',
  inventory_api: 'v1/computers-inventory',
  computers: 1234,
  privileges: null,
  elapsed_ms: 412,
};
