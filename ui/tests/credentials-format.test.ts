// The Credentials page's pure helpers.
import { describe, expect, it } from 'vitest';
import { commandError } from '../src/lib/backend';
import { fieldSlug } from '../src/lib/fields';
import {
  accountOf,
  authName,
  connectionText,
  serverName,
  domainName,
  durations,
  emptyDraft,
  fieldsFor,
  fitIdle,
  formatCountdown,
  lockText,
  policyIdleChoices,
  policyText,
  policyUnlockChoices,
  principal,
  rotatedText,
  rotationReminder,
  secondsLeft,
  splitErrors,
} from '../src/pages/credentials/format';
import { connectionCheck, jamfClient, vault, vcenter } from './credentials-data';

describe('countdowns', () => {
  it('formats what is left as hours and minutes, then minutes and seconds', () => {
    expect(formatCountdown(14_400)).toBe('4h 0m');
    expect(formatCountdown(14_399)).toBe('3h 59m');
    expect(formatCountdown(3600)).toBe('1h 0m');
    expect(formatCountdown(3599)).toBe('59m 59s');
    expect(formatCountdown(62)).toBe('1m 2s');
    expect(formatCountdown(59)).toBe('59s');
    expect(formatCountdown(0)).toBe('0s');
    expect(formatCountdown(-5)).toBe('0s');
  });

  it('counts down from what the backend said, never below zero', () => {
    expect(secondsLeft(100, 1_000_000, 1_000_000)).toBe(100);
    expect(secondsLeft(100, 1_000_000, 1_000_999)).toBe(100);
    expect(secondsLeft(100, 1_000_000, 1_001_000)).toBe(99);
    expect(secondsLeft(100, 1_000_000, 1_200_000)).toBe(0);
    expect(secondsLeft(null, 1_000_000, 1_200_000)).toBeNull();
  });

  it('says locked or unlocked with the time left', () => {
    expect(lockText(true, 14_340)).toBe('Unlocked · 3h 59m');
    expect(lockText(true, null)).toBe('Unlocked');
    expect(lockText(false, 20)).toBe('Locked');
  });
});

describe('ages', () => {
  it('says when a credential was rotated and when rotating is due', () => {
    expect(rotatedText(0)).toBe('rotated today');
    expect(rotatedText(1)).toBe('rotated yesterday');
    expect(rotatedText(12)).toBe('rotated 12 days ago');
    expect(rotationReminder(45)).toBe('Rotate: 45 days old');
  });
});

describe('unlock durations', () => {
  it('offers 15 min to 12 h, 4 h marked as the default', () => {
    const { choices, preset } = durations(14_400);
    expect(preset).toBe(240);
    expect(choices.map((c) => c.minutes)).toEqual([15, 60, 240, 480, 720]);
    expect(choices.map((c) => c.label)).toEqual(['15 min', '1 h', '4 h (default)', '8 h', '12 h']);
  });

  it('adds a configured default that is not one of them', () => {
    const { choices, preset } = durations(5400);
    expect(preset).toBe(90);
    expect(choices.map((c) => c.label)).toEqual(['15 min', '1 h', '1 h 30 min (default)', '4 h', '8 h', '12 h']);
  });
});

describe('the unlock policy', () => {
  it('says how long unlocks last and whether they lock when unused', () => {
    expect(policyText(14_400, null)).toBe('4 h · no idle lock');
    expect(policyText(3600, 900)).toBe('1 h · idle lock after 15 min');
    expect(policyText(300, 60)).toBe('5 min · idle lock after 1 min');
    expect(policyText(5400, 1800)).toBe('1 h 30 min · idle lock after 30 min');
  });

  it('offers 15 min to 12 h, with the current time when it is not one of them', () => {
    const labels = (m: number) => policyUnlockChoices(m).map((c) => c.label);
    expect(labels(240)).toEqual(['15 min', '30 min', '1 h', '2 h', '4 h', '8 h', '12 h']);
    expect(labels(5)).toEqual(['5 min', '15 min', '30 min', '1 h', '2 h', '4 h', '8 h', '12 h']);
    expect(policyUnlockChoices(90).map((c) => c.minutes)).toEqual([15, 30, 60, 90, 120, 240, 480, 720]);
  });

  it('offers idle timeouts up to 2 h, those longer than the unlock time disabled', () => {
    expect(policyIdleChoices('off', 30)).toEqual([
      { minutes: 5, label: '5 min', disabled: false },
      { minutes: 15, label: '15 min', disabled: false },
      { minutes: 30, label: '30 min', disabled: false },
      { minutes: 60, label: '1 h', disabled: true },
      { minutes: 120, label: '2 h', disabled: true },
    ]);
    expect(policyIdleChoices(10, 240).map((c) => c.minutes)).toEqual([5, 10, 15, 30, 60, 120]);
    expect(policyIdleChoices(10, 240).every((c) => !c.disabled)).toBe(true);
  });

  it('shrinks an idle timeout that no longer fits to the longest one that does', () => {
    expect(fitIdle('off', 15)).toBe('off');
    expect(fitIdle(15, 15)).toBe(15);
    expect(fitIdle(60, 30)).toBe(30);
    expect(fitIdle(120, 15)).toBe(15);
    expect(fitIdle(15, 5)).toBe(5);
    expect(fitIdle(10, 4)).toBe('off');
  });
});

describe('names', () => {
  it('names domains and principals as people read them', () => {
    expect(domainName('jamf', 'jamf:acme.jamfcloud.com')).toBe('Jamf Pro acme.jamfcloud.com');
    expect(domainName('vault', 'vault:vault.example.com:8200')).toBe('HashiCorp Vault vault.example.com:8200');
    expect(principal(jamfClient.account)).toBe('7d1e1f5c-api');
    expect(principal(vcenter.account)).toBe('administrator@vsphere.local');
    expect(principal(vault.account)).toBeNull();
  });

  it('makes field names safe for data-testids', () => {
    expect(fieldSlug('tls.sha256')).toBe('tls-sha256');
    expect(fieldSlug('client_secret')).toBe('client_secret');
  });
});

describe('the add form', () => {
  it('asks for the fields each kind needs, the secret last', () => {
    expect(fieldsFor('jamf_client')).toEqual(['label', 'url', 'client_id', 'client_secret']);
    expect(fieldsFor('jamf_user')).toEqual(['label', 'url', 'username', 'password']);
    expect(fieldsFor('vcenter')).toEqual(['label', 'host', 'username', 'tls.mode', 'password']);
    expect(fieldsFor('vcenter', 'pinned')).toEqual(['label', 'host', 'username', 'tls.mode', 'tls.sha256', 'password']);
    expect(fieldsFor('vault')).toEqual(['label', 'address', 'namespace', 'role_id', 'token']);
    expect(fieldsFor('vault', 'verify', 'here', 'role-1')).toEqual(['label', 'address', 'namespace', 'role_id', 'secret_id']);
    expect(fieldsFor('aws')).toEqual(['label', 'region', 'access_key_id', 'role_arn', 'endpoint', 'secret_access_key']);
    expect(fieldsFor('azure')).toEqual(['label', 'vault_url', 'tenant_id', 'client_id', 'authority_host', 'client_secret']);
  });

  it('asks for a reference instead of the secret when a secret manager keeps it, but not for its own key', () => {
    expect(fieldsFor('jamf_client', 'verify', 'aws')).toEqual(['label', 'url', 'client_id', 'secret_from']);
    expect(fieldsFor('vcenter', 'verify', 'vault')).toEqual(['label', 'host', 'username', 'tls.mode', 'secret_from']);
    expect(fieldsFor('aws', 'verify', 'vault')).toEqual(['label', 'region', 'access_key_id', 'role_arn', 'endpoint', 'secret_access_key']);
  });

  it('builds the account a kind describes, and nothing else', () => {
    const d = { ...emptyDraft(), url: 'https://a', client_id: 'c', username: 'u', host: 'h', address: 'https://v' };
    expect(accountOf('jamf_client', d)).toEqual({ type: 'jamf_client', url: 'https://a', client_id: 'c' });
    expect(accountOf('jamf_user', d)).toEqual({ type: 'jamf_user', url: 'https://a', username: 'u' });
    expect(accountOf('vcenter', d)).toEqual({ type: 'vcenter', host: 'h', username: 'u', tls: { mode: 'verify' } });
    expect(accountOf('vcenter', { ...d, tls_mode: 'pinned', tls_sha256: 'ab' })).toEqual({
      type: 'vcenter',
      host: 'h',
      username: 'u',
      tls: { mode: 'pinned', sha256: 'ab' },
    });
    expect(accountOf('vault', d)).toEqual({ type: 'vault', address: 'https://v', namespace: null, role_id: null });
    expect(accountOf('vault', { ...d, namespace: 'team/a', role_id: 'r1' })).toMatchObject({ namespace: 'team/a', role_id: 'r1' });
    const aws = { ...d, region: 'eu-west-1', access_key_id: 'AKIA1', role_arn: '  ', endpoint: '' };
    expect(accountOf('aws', aws)).toEqual({ type: 'aws', region: 'eu-west-1', access_key_id: 'AKIA1', role_arn: null, endpoint: null });
    const role = 'arn:aws:iam::123456789012:role/latchkey';
    expect(accountOf('aws', { ...aws, role_arn: role })).toMatchObject({ role_arn: role, endpoint: null });
    const azure = { ...d, vault_url: 'https://kv', tenant_id: 't', authority_host: ' ' };
    expect(accountOf('azure', azure)).toEqual({ type: 'azure', vault_url: 'https://kv', tenant_id: 't', client_id: 'c', authority_host: null });
  });

  it('puts problems next to shown fields and the rest on top', () => {
    const { byField, general } = splitErrors(
      [
        { field: 'url', message: 'url must use https' },
        { field: 'url', message: 'second url problem' },
        { field: 'ttl', message: 'not a form field' },
        { field: null, message: 'already exists' },
      ],
      fieldsFor('jamf_client'),
    );
    expect(byField).toEqual({ url: 'url must use https' });
    expect(general).toEqual(['not a form field', 'already exists']);
  });
});

describe('commandError', () => {
  it('reads a CommandError, an Error or a plain string', () => {
    expect(commandError({ message: 'bad url', field: 'url' })).toEqual({ message: 'bad url', field: 'url' });
    expect(commandError({ message: 'declined', field: null })).toEqual({ message: 'declined', field: null });
    expect(commandError(new Error('ipc down'))).toEqual({ message: 'ipc down', field: null });
    expect(commandError('no store')).toEqual({ message: 'no store', field: null });
  });
});

describe('connection test text', () => {
  const check = { ...connectionCheck, server: 'https://acme.jamfcloud.com/' };

  it('says where, which version, how many computers, as whom and how fast', () => {
    expect(connectionText(check)).toBe('Connected to acme.jamfcloud.com — Jamf Pro 11.30.1, 1,234 computers (API client, 412 ms)');
    expect(connectionText({ ...check, computers: 1, elapsed_ms: 2400 })).toBe(
      'Connected to acme.jamfcloud.com — Jamf Pro 11.30.1, 1 computer (API client, 2.40 s)',
    );
    expect(connectionText({ ...check, version: null, computers: null, auth: 'API client' })).toBe(
      'Connected to acme.jamfcloud.com — Jamf Pro (version not reported) (API client, 412 ms)',
    );
  });

  it('names the server and the way it signed in plainly', () => {
    expect(serverName('https://jamf.example.com:8443')).toBe('jamf.example.com:8443');
    expect(serverName('acme.jamfcloud.com')).toBe('acme.jamfcloud.com');
    expect(authName('user')).toBe('user account');
    expect(authName('bearer_token')).toBe('bearer token');
  });
});
