// The Credentials page against a mocked Tauri IPC: what the Rust side returns is what the page
// shows, and what the page sends is what the Rust side's commands take.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import Credentials from '../src/pages/Credentials.svelte';
import type { AppStatus, CommandError, ConnectionCheck, CredentialView, CredentialsOverview } from '../src/lib/backend';
import { JAMF, VAULT, VCENTER, connectionCheck, jamfClient, overview, vault, vcenter, withLock } from './credentials-data';

type Call = { cmd: string; args: Record<string, unknown> };
let calls: Call[] = [];

type Handler = (args: Record<string, unknown>) => unknown;

/** Mocks the credentials commands: `overview` by default, anything else from `h` or refused. */
function mockCredentials(h: Record<string, Handler> = {}) {
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      if (h[cmd]) return h[cmd](a);
      if (cmd === 'credentials_overview') return overview();
      if (cmd === 'credentials_check') return [];
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

const linux: AppStatus = {
  version: '0.1.0',
  platform: 'linux',
  broker: { state: 'running', socket: '/tmp/mcp.sock' },
  refused_files: [],
};

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function callsTo(cmd: string) {
  return calls.filter((c) => c.cmd === cmd).map((c) => c.args);
}

async function shown() {
  return screen.findByTestId(`creds-row-${jamfClient.id}`);
}

function domain(d: string) {
  return document.querySelector<HTMLElement>(`[data-testid="creds-domain"][data-domain="${d}"]`)!;
}

function control(testid: string, d: string) {
  return document.querySelector<HTMLElement>(`[data-testid="${testid}"][data-domain="${d}"]`)!;
}

async function type(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

async function openForm() {
  await shown();
  await fireEvent.click(screen.getByTestId('creds-add'));
  return screen.getByTestId('creds-form');
}

beforeEach(() => (calls = []));
afterEach(() => {
  cleanup();
  clearMocks();
  vi.useRealTimers();
});

describe('Credentials page: the list', () => {
  it('lists credentials by domain with kind, principal, lock state, countdown and age', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    const jamfRow = await shown();

    expect([...document.querySelectorAll<HTMLElement>('[data-testid="creds-domain"]')].map((d) => d.dataset.domain)).toEqual([
      JAMF,
      VAULT,
      VCENTER,
    ]);
    expect(within(jamfRow).getByTestId('creds-label').textContent).toBe('Acme production');
    expect(jamfRow.textContent).toContain('Jamf Pro API client');
    expect(within(jamfRow).getByTestId('creds-principal').textContent).toBe('7d1e1f5c-api');
    expect(screen.getByTestId(`creds-state-${jamfClient.id}`).textContent).toBe('Unlocked · 3h 59m');
    expect(screen.getByTestId(`creds-state-${jamfClient.id}`).dataset.state).toBe('unlocked');
    expect(within(jamfRow).getByTestId('creds-age').textContent).toBe('rotated 12 days ago');
    expect(within(jamfRow).queryByTestId('creds-rotation-due')).toBeNull();

    const vcRow = screen.getByTestId(`creds-row-${vcenter.id}`);
    expect(vcRow.textContent).toContain('vCenter user');
    expect(within(vcRow).getByTestId('creds-principal').textContent).toBe('administrator@vsphere.local');
    expect(vcRow.textContent).toContain('pinned certificate');
    expect(vcRow.textContent).toContain('never used');
    expect(screen.getByTestId(`creds-state-${vcenter.id}`).textContent).toBe('Locked');
    expect(screen.getByTestId(`creds-state-${vcenter.id}`).dataset.state).toBe('locked');

    const vaultRow = screen.getByTestId(`creds-row-${vault.id}`);
    expect(vaultRow.textContent).toContain('HashiCorp Vault token');
    expect(within(vaultRow).getByTestId('creds-age').textContent).toBe('rotated yesterday');

    // Domains: the unlocked one offers Lock, the locked ones a duration and Unlock.
    expect(domain(JAMF).dataset.state).toBe('unlocked');
    expect(domain(JAMF).textContent).toContain('Jamf Pro');
    expect(control('creds-domain-state', JAMF).textContent?.trim()).toBe('Unlocked · 3h 59m');
    expect(control('creds-domain-lock', JAMF).getAttribute('aria-label')).toBe('Lock Jamf Pro acme.jamfcloud.com');
    expect(control('creds-domain-unlock', JAMF)).toBeNull();
    expect(control('creds-domain-state', VCENTER).textContent?.trim()).toBe('Locked');
    expect(control('creds-domain-unlock', VCENTER).textContent).toBe('Unlock');
    expect((control('creds-domain-ttl', VCENTER) as HTMLSelectElement).value).toBe('240');

    expect(screen.getByTestId('creds-presence').textContent).toContain(
      'a confirmation in the Latchkey app (not biometrics)',
    );
    expect(screen.queryByTestId('creds-empty')).toBeNull();
    expect(screen.queryByTestId('not-yet')).toBeNull();
    expect(calls.map((c) => c.cmd)).toEqual(['credentials_overview']);
  });

  it('shows a rotation reminder on a credential due for rotation', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    await shown();
    const due = screen.getAllByTestId('creds-rotation-due');
    expect(due).toHaveLength(1);
    expect(due[0].textContent).toBe('Rotate: 45 days old');
    expect(screen.getByTestId(`creds-row-${vcenter.id}`).contains(due[0])).toBe(true);
  });

  it('counts down each second and asks again when an unlock runs out', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const short = withLock(overview(), [JAMF], 62);
    let listed = 0;
    mockCredentials({ credentials_overview: () => (listed++ ? withLock(short, [JAMF], null) : short) });
    render(Credentials, { status: linux });
    const state = () => screen.getByTestId(`creds-state-${jamfClient.id}`).textContent;
    await vi.waitFor(() => expect(state()).toBe('Unlocked · 1m 2s'));

    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(state()).toBe('Unlocked · 1m 1s'));
    vi.advanceTimersByTime(21_000);
    await vi.waitFor(() => expect(state()).toBe('Unlocked · 40s'));
    expect(control('creds-domain-state', JAMF).textContent?.trim()).toBe('Unlocked · 40s');
    expect(callsTo('credentials_overview')).toHaveLength(1);

    vi.advanceTimersByTime(40_000);
    await vi.waitFor(() => expect(state()).toBe('Locked'));
    expect(callsTo('credentials_overview')).toHaveLength(2);
    // Nothing else is counting down, so nothing more is asked.
    vi.advanceTimersByTime(5000);
    expect(callsTo('credentials_overview')).toHaveLength(2);
  });

  it('names the encrypted file as the store when it keeps the credentials', async () => {
    mockCredentials({
      credentials_overview: () =>
        overview({ store: { store: 'encrypted-file', open: false, file: '/home/me/.local/share/latchkey/credentials.keyring' } }),
    });
    render(Credentials, { status: linux });
    await shown();
    expect(screen.getByTestId('creds-intro').textContent).toContain(
      "kept in Latchkey's encrypted file (its passphrase is asked at each unlock)",
    );
  });

  it('shows a secret store error prominently', async () => {
    mockCredentials({
      credentials_overview: () =>
        overview({ credentials: [], domains: [], store_error: 'the Secret Service is not running (org.freedesktop.secrets)' }),
    });
    render(Credentials, { status: linux });
    const error = await screen.findByTestId('creds-store-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('Latchkey cannot read the system secret store.');
    expect(error.textContent).toContain('org.freedesktop.secrets');
    expect(screen.queryByTestId('creds-empty')).toBeNull();
  });

  it('explains what to add when there is nothing yet', async () => {
    mockCredentials({ credentials_overview: () => overview({ credentials: [], domains: [] }) });
    render(Credentials, { status: { ...linux, platform: 'macos' } });
    const empty = await screen.findByTestId('creds-empty');
    expect(empty.textContent).toContain('No credentials yet.');
    expect(empty.textContent).toContain('Jamf Pro API client');
    expect(empty.textContent).toContain('HashiCorp Vault token');
    expect(empty.textContent).toContain('the Keychain');
    expect((screen.getByTestId('creds-unlock-all') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('creds-lock-all') as HTMLButtonElement).disabled).toBe(true);
  });

  it('disables unlocking, saying why, when no presence check is available', async () => {
    mockCredentials({ credentials_overview: () => overview({ presence: { kind: 'unavailable', description: 'none available' } }) });
    render(Credentials, { status: linux });
    await shown();
    expect((screen.getByTestId('creds-unlock-all') as HTMLButtonElement).disabled).toBe(true);
    expect((control('creds-domain-unlock', VCENTER) as HTMLButtonElement).disabled).toBe(true);
    const why = screen.getByTestId('creds-presence');
    expect(why.dataset.kind).toBe('unavailable');
    expect(why.textContent).toContain('Unlocking is turned off');
    // Locking needs no presence check.
    expect((screen.getByTestId('creds-lock-all') as HTMLButtonElement).disabled).toBe(false);
  });

  it('lists again when the Rust side says the credentials changed', async () => {
    let listed = 0;
    mockCredentials({ credentials_overview: () => (listed++ ? withLock(overview(), null, null) : overview()) });
    render(Credentials, { status: linux });
    await shown();
    await emit('credentials-changed');
    await waitFor(() => expect(screen.getByTestId(`creds-state-${jamfClient.id}`).textContent).toBe('Locked'));
    expect(callsTo('credentials_overview')).toHaveLength(2);
  });

  it('says so when the list cannot be read, and can try again', async () => {
    let listed = 0;
    mockCredentials({ credentials_overview: () => (listed++ ? overview() : Promise.reject('no store')) });
    render(Credentials, { status: linux });
    expect((await screen.findByTestId('creds-error')).textContent).toContain('Cannot list the credentials: no store');
    await fireEvent.click(screen.getByTestId('creds-retry'));
    await shown();
    expect(screen.queryByTestId('creds-error')).toBeNull();
  });
});

describe('Credentials page: unlocking and locking', () => {
  it('unlocks a domain for the chosen time, waiting for the confirmation', async () => {
    const pending = deferred<CredentialsOverview>();
    mockCredentials({ credentials_unlock: () => pending.promise });
    render(Credentials, { status: linux });
    await shown();

    await fireEvent.change(control('creds-domain-ttl', VCENTER), { target: { value: '60' } });
    const button = control('creds-domain-unlock', VCENTER);
    expect(button.getAttribute('aria-label')).toBe('Unlock vCenter vc01.example.com');
    await fireEvent.click(button);
    expect(callsTo('credentials_unlock')).toEqual([{ domain: VCENTER, ttlMinutes: 60 }]);
    await waitFor(() => expect(button.textContent).toBe('Waiting for confirmation…'));
    expect(button.getAttribute('aria-busy')).toBe('true');

    pending.resolve(withLock(overview(), [VCENTER], 3600));
    await waitFor(() => expect(screen.getByTestId(`creds-state-${vcenter.id}`).textContent).toBe('Unlocked · 1h 0m'));
    expect(domain(VCENTER).dataset.state).toBe('unlocked');
    expect((await screen.findByTestId('creds-notice')).textContent).toBe('Unlocked vCenter vc01.example.com for 1 h.');
  });

  it('says why an unlock failed', async () => {
    mockCredentials({
      credentials_unlock: () => Promise.reject({ message: 'the confirmation was declined', field: null } satisfies CommandError),
    });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.click(control('creds-domain-unlock', VAULT));
    expect(callsTo('credentials_unlock')).toEqual([{ domain: VAULT, ttlMinutes: 240 }]);
    const error = await screen.findByTestId('creds-error');
    expect(error.textContent?.trim()).toBe('Could not unlock HashiCorp Vault vault.example.com:8200: the confirmation was declined');
    expect(control('creds-domain-unlock', VAULT).textContent).toBe('Unlock');
    expect(domain(VAULT).dataset.state).toBe('locked');
  });

  it("asks for the encrypted store's passphrase when the backend needs it, then unlocks with it", async () => {
    const needed: CommandError = { message: "credentials are in Latchkey's encrypted store", field: 'passphrase' };
    mockCredentials({
      credentials_unlock: (a) => ('passphrase' in a ? withLock(overview(), [VCENTER], 3600) : Promise.reject(needed)),
    });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.change(control('creds-domain-ttl', VCENTER), { target: { value: '60' } });
    await fireEvent.click(control('creds-domain-unlock', VCENTER));

    const dialog = await screen.findByTestId('creds-passphrase-dialog');
    expect(screen.queryByTestId('creds-error')).toBeNull();
    expect(dialog.textContent).toContain('type its passphrase to unlock vCenter vc01.example.com');
    await fireEvent.click(within(dialog).getByTestId('creds-passphrase-unlock'));
    expect(within(dialog).getByTestId('creds-field-error-passphrase').textContent).toBe('The passphrase is required.');
    expect(callsTo('credentials_unlock')).toHaveLength(1);
    const field = within(dialog).getByTestId('creds-field-passphrase') as HTMLInputElement;
    expect(field.type).toBe('password');
    await fireEvent.input(field, { target: { value: 'a long passphrase' } });
    await fireEvent.click(within(dialog).getByTestId('creds-passphrase-unlock'));

    await waitFor(() => expect(domain(VCENTER).dataset.state).toBe('unlocked'));
    expect(screen.queryByTestId('creds-passphrase-dialog')).toBeNull();
    expect(callsTo('credentials_unlock')).toEqual([
      { domain: VCENTER, ttlMinutes: 60 },
      { domain: VCENTER, ttlMinutes: 60, passphrase: 'a long passphrase' },
    ]);
  });

  it('says a wrong passphrase was refused, without asking again', async () => {
    mockCredentials({
      credentials_unlock: (a) =>
        Promise.reject(
          'passphrase' in a
            ? ({ message: 'wrong passphrase for the encrypted store', field: null } satisfies CommandError)
            : ({ message: 'needs its passphrase', field: 'passphrase' } satisfies CommandError),
        ),
    });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.click(control('creds-domain-unlock', VAULT));
    const dialog = await screen.findByTestId('creds-passphrase-dialog');
    await fireEvent.input(within(dialog).getByTestId('creds-field-passphrase'), { target: { value: 'not it' } });
    await fireEvent.click(within(dialog).getByTestId('creds-passphrase-unlock'));

    const error = await screen.findByTestId('creds-error');
    expect(error.textContent?.trim()).toBe(
      'Could not unlock HashiCorp Vault vault.example.com:8200: wrong passphrase for the encrypted store',
    );
    expect(screen.queryByTestId('creds-passphrase-dialog')).toBeNull();
    expect(callsTo('credentials_unlock')).toHaveLength(2);
    expect(domain(VAULT).dataset.state).toBe('locked');
  });

  it('unlocks all with the duration chosen at the top', async () => {
    mockCredentials({ credentials_unlock: () => withLock(overview(), null, 12 * 3600) });
    render(Credentials, { status: linux });
    await shown();
    const choices = [...(screen.getByTestId('creds-ttl-all') as HTMLSelectElement).options].map((o) => o.textContent);
    expect(choices).toEqual(['15 min', '1 h', '4 h (default)', '8 h', '12 h']);
    await fireEvent.change(screen.getByTestId('creds-ttl-all'), { target: { value: '720' } });
    await fireEvent.click(screen.getByTestId('creds-unlock-all'));
    expect(callsTo('credentials_unlock')).toEqual([{ domain: null, ttlMinutes: 720 }]);
    await waitFor(() => expect(screen.getByTestId(`creds-state-${vault.id}`).textContent).toBe('Unlocked · 12h 0m'));
  });

  it('locks one domain, and all', async () => {
    mockCredentials({
      credentials_lock: (a) => withLock(overview(), a.domain === null ? null : [a.domain as string], null),
    });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.click(control('creds-domain-lock', JAMF));
    expect(callsTo('credentials_lock')).toEqual([{ domain: JAMF }]);
    await waitFor(() => expect(screen.getByTestId(`creds-state-${jamfClient.id}`).textContent).toBe('Locked'));
    expect((screen.getByTestId('creds-lock-all') as HTMLButtonElement).disabled).toBe(true);
  });

  it('locks all', async () => {
    mockCredentials({ credentials_lock: () => withLock(overview(), null, null) });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.click(screen.getByTestId('creds-lock-all'));
    expect(callsTo('credentials_lock')).toEqual([{ domain: null }]);
    await waitFor(() => expect(domain(JAMF).dataset.state).toBe('locked'));
    for (const c of [jamfClient, vault, vcenter]) {
      expect(screen.getByTestId(`creds-state-${c.id}`).textContent).toBe('Locked');
    }
  });
});

/** What credentials_set_policy returns for what it was given. */
function withPolicy(a: Record<string, unknown>, base = overview()): CredentialsOverview {
  const idle = a.idleMinutes as number | null;
  return { ...base, default_ttl_seconds: (a.unlockMinutes as number) * 60, idle_timeout_seconds: idle === null ? null : idle * 60 };
}

function select(testid: string) {
  return screen.getByTestId(testid) as HTMLSelectElement;
}

function options(testid: string) {
  return [...select(testid).options].map((o) => ({ value: o.value, label: o.textContent, disabled: o.disabled }));
}

describe('Credentials page: the unlock policy', () => {
  it('sums up the policy in one line, and starts the form from it', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    await shown();
    const policy = screen.getByTestId('creds-policy');
    expect(policy.tagName).toBe('DETAILS');
    expect((policy as HTMLDetailsElement).open).toBe(false);
    expect(screen.getByTestId('creds-policy-summary').textContent).toBe('Unlock policy: 4 h · no idle lock');
    expect(screen.getByTestId('creds-policy-summary').closest('summary')).not.toBeNull();
    expect(select('creds-policy-unlock').value).toBe('240');
    expect(select('creds-policy-idle').value).toBe('off');
    expect(options('creds-policy-unlock').map((o) => o.label)).toEqual(['15 min', '30 min', '1 h', '2 h', '4 h', '8 h', '12 h']);
    expect(screen.queryByTestId('creds-policy-error')).toBeNull();
  });

  it('shows a policy that is not one of the choices', async () => {
    mockCredentials({ credentials_overview: () => overview({ default_ttl_seconds: 300, idle_timeout_seconds: 600 }) });
    render(Credentials, { status: linux });
    await shown();
    expect(screen.getByTestId('creds-policy-summary').textContent).toBe('Unlock policy: 5 min · idle lock after 10 min');
    expect(select('creds-policy-unlock').value).toBe('5');
    expect(select('creds-policy-unlock').selectedOptions[0].textContent).toBe('5 min');
    // An idle timeout of 10 min fits an unlock of 5 min only once the unlock time is longer.
    expect(select('creds-policy-idle').value).toBe('10');
    expect((control('creds-domain-ttl', VCENTER) as HTMLSelectElement).value).toBe('5');
  });

  it('disables idle timeouts longer than the unlock time, shrinking one that no longer fits', async () => {
    mockCredentials({ credentials_overview: () => overview({ default_ttl_seconds: 14_400, idle_timeout_seconds: 3600 }) });
    render(Credentials, { status: linux });
    await shown();
    expect(screen.getByTestId('creds-policy-summary').textContent).toBe('Unlock policy: 4 h · idle lock after 1 h');
    expect(options('creds-policy-idle').filter((o) => o.disabled)).toEqual([]);

    await fireEvent.change(select('creds-policy-unlock'), { target: { value: '30' } });
    expect(options('creds-policy-idle')).toEqual([
      { value: 'off', label: 'Off', disabled: false },
      { value: '5', label: '5 min', disabled: false },
      { value: '15', label: '15 min', disabled: false },
      { value: '30', label: '30 min', disabled: false },
      { value: '60', label: '1 h', disabled: true },
      { value: '120', label: '2 h', disabled: true },
    ]);
    expect(select('creds-policy-idle').value).toBe('30');

    await fireEvent.change(select('creds-policy-unlock'), { target: { value: '15' } });
    expect(options('creds-policy-idle').filter((o) => o.disabled).map((o) => o.value)).toEqual(['30', '60', '120']);
    expect(select('creds-policy-idle').value).toBe('15');
    // The summary is what is saved, not what the form holds.
    expect(screen.getByTestId('creds-policy-summary').textContent).toBe('Unlock policy: 4 h · idle lock after 1 h');
  });

  it('saves the chosen times, and unlocks then default to the new time', async () => {
    let saved = overview();
    mockCredentials({
      credentials_overview: () => saved,
      credentials_set_policy: (a) => (saved = withPolicy(a)),
      credentials_unlock: (a) => withLock(saved, [a.domain as string], (a.ttlMinutes as number) * 60),
    });
    render(Credentials, { status: linux });
    await shown();
    const policy = screen.getByTestId('creds-policy') as HTMLDetailsElement;
    await fireEvent.click(screen.getByTestId('creds-policy-summary'));
    expect(policy.open).toBe(true);
    await waitFor(() => expect(policy.querySelector('summary')!.textContent).toContain('Hide'));

    await fireEvent.change(select('creds-policy-unlock'), { target: { value: '60' } });
    await fireEvent.change(select('creds-policy-idle'), { target: { value: '15' } });
    await fireEvent.click(screen.getByTestId('creds-policy-save'));
    expect(callsTo('credentials_set_policy')).toEqual([{ unlockMinutes: 60, idleMinutes: 15 }]);

    await waitFor(() =>
      expect(screen.getByTestId('creds-policy-summary').textContent).toBe('Unlock policy: 1 h · idle lock after 15 min'),
    );
    expect(policy.open).toBe(false);
    await waitFor(() => expect(policy.querySelector('summary')!.textContent).toContain('Change'));
    expect(screen.getByTestId('creds-notice').textContent).toContain('Saved the unlock policy: 1 h · idle lock after 15 min.');
    expect(screen.getByTestId('creds-notice').textContent).toContain('unlocks already running keep their times');
    expect((control('creds-domain-ttl', VCENTER) as HTMLSelectElement).value).toBe('60');
    expect((control('creds-domain-ttl', VAULT) as HTMLSelectElement).value).toBe('60');
    expect(select('creds-ttl-all').value).toBe('60');
    expect(select('creds-ttl-all').selectedOptions[0].textContent).toBe('1 h (default)');
    // Running unlocks are left as they were.
    expect(screen.getByTestId(`creds-state-${jamfClient.id}`).textContent).toBe('Unlocked · 3h 59m');

    // Off is sent as no idle timeout.
    await fireEvent.change(select('creds-policy-idle'), { target: { value: 'off' } });
    await fireEvent.click(screen.getByTestId('creds-policy-save'));
    expect(callsTo('credentials_set_policy').at(-1)).toEqual({ unlockMinutes: 60, idleMinutes: null });
    await waitFor(() => expect(screen.getByTestId('creds-policy-summary').textContent).toBe('Unlock policy: 1 h · no idle lock'));

    // A time not offered by default becomes one of the pickers' choices.
    await fireEvent.change(select('creds-policy-unlock'), { target: { value: '30' } });
    await fireEvent.click(screen.getByTestId('creds-policy-save'));
    await waitFor(() => expect((control('creds-domain-ttl', VCENTER) as HTMLSelectElement).value).toBe('30'));
    expect((control('creds-domain-ttl', VCENTER) as HTMLSelectElement).selectedOptions[0].textContent).toBe('30 min (default)');
    // …and is what an unlock asks for, unless another time is chosen.
    await fireEvent.click(control('creds-domain-unlock', VCENTER));
    expect(callsTo('credentials_unlock')).toEqual([{ domain: VCENTER, ttlMinutes: 30 }]);
    await waitFor(() => expect(domain(VCENTER).dataset.state).toBe('unlocked'));
  });

  it('keeps a chosen unlock time when the list comes again with the same default', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.change(control('creds-domain-ttl', VCENTER), { target: { value: '15' } });
    await fireEvent.change(select('creds-ttl-all'), { target: { value: '720' } });
    await emit('credentials-changed');
    await waitFor(() => expect(callsTo('credentials_overview')).toHaveLength(2));
    await waitFor(() => expect(select('creds-ttl-all').value).toBe('720'));
    expect((control('creds-domain-ttl', VCENTER) as HTMLSelectElement).value).toBe('15');
    expect((control('creds-domain-ttl', VAULT) as HTMLSelectElement).value).toBe('240');
  });

  it('shows an idle timeout problem next to the idle select', async () => {
    mockCredentials({
      credentials_set_policy: () =>
        Promise.reject({ message: 'idle_timeout must be at least 1 minute and no longer than the unlock time', field: 'idle_minutes' }),
    });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.change(select('creds-policy-idle'), { target: { value: '60' } });
    await fireEvent.click(screen.getByTestId('creds-policy-save'));
    expect(callsTo('credentials_set_policy')).toEqual([{ unlockMinutes: 240, idleMinutes: 60 }]);

    const error = await screen.findByTestId('creds-policy-error');
    expect(error.textContent?.trim()).toBe('idle_timeout must be at least 1 minute and no longer than the unlock time');
    expect(error.dataset.field).toBe('idle_timeout');
    const idle = select('creds-policy-idle');
    expect(idle.parentElement!.contains(error)).toBe(true);
    expect(select('creds-policy-unlock').parentElement!.contains(error)).toBe(false);
    expect(idle.getAttribute('aria-invalid')).toBe('true');
    expect(idle.getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
    await waitFor(() => expect(document.activeElement).toBe(idle));
    expect(select('creds-policy-unlock').getAttribute('aria-invalid')).toBeNull();
    expect(screen.queryByTestId('creds-notice')).toBeNull();
    expect(screen.getByTestId('creds-policy-summary').textContent).toBe('Unlock policy: 4 h · no idle lock');

    // Changing the idle timeout clears it.
    await fireEvent.change(idle, { target: { value: '30' } });
    expect(screen.queryByTestId('creds-policy-error')).toBeNull();
    expect(idle.getAttribute('aria-invalid')).toBeNull();
  });

  it('shows an unlock time problem next to the unlock select, and one naming no field under the form', async () => {
    const rejections: CommandError[] = [
      { message: 'ttl must be between 5 minutes and 12 hours', field: 'unlock_minutes' },
      { message: 'cannot save the settings: disk full', field: null },
    ];
    mockCredentials({ credentials_set_policy: () => Promise.reject(rejections.shift()) });
    render(Credentials, { status: linux });
    await shown();

    await fireEvent.click(screen.getByTestId('creds-policy-save'));
    let error = await screen.findByTestId('creds-policy-error');
    expect(error.dataset.field).toBe('ttl');
    expect(select('creds-policy-unlock').parentElement!.contains(error)).toBe(true);
    expect(select('creds-policy-unlock').getAttribute('aria-describedby')).toBe(error.id);
    await waitFor(() => expect(document.activeElement).toBe(select('creds-policy-unlock')));

    await fireEvent.click(screen.getByTestId('creds-policy-save'));
    await waitFor(() => expect(screen.getByTestId('creds-policy-error').dataset.field).toBeUndefined());
    error = screen.getByTestId('creds-policy-error');
    expect(error.textContent).toBe('cannot save the settings: disk full');
    expect(error.getAttribute('role')).toBe('alert');
    expect(screen.getAllByTestId('creds-policy-error')).toHaveLength(1);
    expect(callsTo('credentials_set_policy')).toHaveLength(2);
  });

  it('says so while saving', async () => {
    const pending = deferred<CredentialsOverview>();
    mockCredentials({ credentials_set_policy: () => pending.promise });
    render(Credentials, { status: linux });
    await shown();
    const save = screen.getByTestId('creds-policy-save') as HTMLButtonElement;
    await fireEvent.click(save);
    await waitFor(() => expect(save.textContent).toBe('Saving…'));
    expect(save.disabled).toBe(true);
    expect(save.getAttribute('aria-busy')).toBe('true');
    pending.resolve(withPolicy({ unlockMinutes: 240, idleMinutes: 5 }));
    await waitFor(() => expect(save.textContent).toBe('Save'));
    expect(screen.getByTestId('creds-policy-summary').textContent).toBe('Unlock policy: 4 h · idle lock after 5 min');
  });

  it('says when the idle timeout is the nearer deadline of an unlock', async () => {
    const o = overview({ idle_timeout_seconds: 1800 });
    const idle = { ...o, domains: o.domains.map((d) => (d.domain === JAMF ? { ...d, seconds_left: 1500, idle_limited: true } : d)) };
    mockCredentials({ credentials_overview: () => idle });
    render(Credentials, { status: linux });
    await shown();
    const state = control('creds-domain-state', JAMF);
    expect(state.textContent?.trim()).toBe('Unlocked · 25m 0s if unused');
    expect(state.title).toBe('Locks 30 min after its last use, or sooner if the unlock runs out');
    expect(control('creds-domain-state', VCENTER).title).toBe('');
  });
});

describe('Credentials page: adding', () => {
  it('shows the problems credentials_check finds next to their fields, once they are edited', async () => {
    mockCredentials({
      credentials_check: (a) => {
        const account = a.account as { url: string };
        const problems: CommandError[] = [{ field: 'label', message: 'label is required' }];
        if (!account.url.startsWith('https://')) problems.push({ field: 'url', message: 'url must use https' });
        return problems;
      },
    });
    render(Credentials, { status: linux });
    await openForm();
    expect(document.activeElement).toBe(screen.getByTestId('creds-kind'));

    await type('creds-field-url', 'http://acme.jamfcloud.com');
    const urlError = await screen.findByTestId('creds-field-error-url');
    expect(urlError.textContent).toBe('url must use https');
    expect(screen.getByTestId('creds-field-url').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('creds-field-url').getAttribute('aria-describedby')).toContain(urlError.id);
    // The label has not been touched yet, so its problem waits.
    expect(screen.queryByTestId('creds-field-error-label')).toBeNull();
    expect(callsTo('credentials_check').at(-1)).toEqual({
      label: '',
      account: { type: 'jamf_client', url: 'http://acme.jamfcloud.com', client_id: '' },
    });

    await type('creds-field-url', 'https://acme.jamfcloud.com');
    await waitFor(() => expect(screen.queryByTestId('creds-field-error-url')).toBeNull());
    // The secret never goes to the check.
    await type('creds-field-client_secret', 'not-for-the-check');
    expect(JSON.stringify(callsTo('credentials_check'))).not.toContain('not-for-the-check');
  });

  it('requires the secret, naming it, and shows every problem on Save', async () => {
    mockCredentials({ credentials_check: () => [{ field: 'client_id', message: 'client_id is required' }] });
    render(Credentials, { status: linux });
    await openForm();
    await fireEvent.click(screen.getByTestId('creds-save'));
    expect((await screen.findByTestId('creds-field-error-client_secret')).textContent).toBe('Client secret is required.');
    expect(screen.getByTestId('creds-field-error-client_id').textContent).toBe('client_id is required');
    expect(callsTo('credentials_add')).toEqual([]);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('creds-field-client_id')));
  });

  it('puts a rejected add next to its field, or at the top when it names none', async () => {
    const rejection: CommandError[] = [
      { field: 'url', message: 'acme.jamfcloud.com did not answer as a Jamf Pro server' },
      { field: null, message: 'a credential for client 7d1e1f5c-api on jamf:acme.jamfcloud.com already exists' },
    ];
    mockCredentials({ credentials_add: () => Promise.reject(rejection.shift()) });
    render(Credentials, { status: linux });
    await openForm();
    await type('creds-field-label', 'Acme');
    await type('creds-field-url', 'https://acme.jamfcloud.com');
    await type('creds-field-client_id', '7d1e1f5c-api');
    await type('creds-field-client_secret', 's3cret');

    await fireEvent.click(screen.getByTestId('creds-save'));
    expect((await screen.findByTestId('creds-field-error-url')).textContent).toBe(
      'acme.jamfcloud.com did not answer as a Jamf Pro server',
    );
    expect(screen.queryByTestId('creds-form-error')).toBeNull();

    await type('creds-field-url', 'https://acme.jamfcloud.com/');
    expect(screen.queryByTestId('creds-field-error-url')).toBeNull();
    await fireEvent.click(screen.getByTestId('creds-save'));
    const top = await screen.findByTestId('creds-form-error');
    expect(top.textContent).toContain('already exists');
    expect(callsTo('credentials_add')).toHaveLength(2);
  });

  it('adds a credential and forgets its secret at once', async () => {
    const secret = 'hunter2-Zq9-do-not-keep';
    const added: CredentialView = {
      ...vcenter,
      id: 'new123',
      label: 'vCenter lab',
      domain: 'vcenter:vc02.example.com',
      rotation_due: false,
      age_days: 0,
    };
    let listed = 0;
    mockCredentials({
      credentials_add: () => added,
      credentials_overview: () => (listed++ ? overview({ credentials: [jamfClient, vault, vcenter, added] }) : overview()),
    });
    render(Credentials, { status: linux });
    await openForm();

    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'vcenter' } });
    expect(screen.queryByTestId('creds-field-url')).toBeNull();
    await type('creds-field-label', 'vCenter lab');
    await type('creds-field-host', 'vc02.example.com');
    await type('creds-field-username', 'administrator@vsphere.local');
    await fireEvent.change(screen.getByTestId('creds-field-tls-mode'), { target: { value: 'pinned' } });
    await type('creds-field-tls-sha256', 'AB:'.repeat(31) + 'AB');
    const input = screen.getByTestId('creds-field-password') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(input.getAttribute('autocomplete')).toBe('off');
    await type('creds-field-password', secret);

    await fireEvent.click(screen.getByTestId('creds-save'));
    await waitFor(() => expect(screen.queryByTestId('creds-form')).toBeNull());
    expect(callsTo('credentials_add')).toEqual([
      {
        label: 'vCenter lab',
        account: {
          type: 'vcenter',
          host: 'vc02.example.com',
          username: 'administrator@vsphere.local',
          tls: { mode: 'pinned', sha256: 'AB:'.repeat(31) + 'AB' },
        },
        secret,
        source: null,
      },
    ]);
    expect(screen.getByTestId('creds-notice').textContent).toContain('Added “vCenter lab”');
    await screen.findByTestId('creds-row-new123');
    expect(document.body.innerHTML).not.toContain(secret);

    // Opening the form again starts empty.
    await fireEvent.click(screen.getByTestId('creds-add'));
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'vcenter' } });
    expect((screen.getByTestId('creds-field-password') as HTMLInputElement).value).toBe('');
    expect((screen.getByTestId('creds-field-host') as HTMLInputElement).value).toBe('');
  });

  it('stops a vCenter to be verified whose certificate the system does not trust, and pins what the person compared', async () => {
    const sha256 = 'C0:FF:EE:' + '00:'.repeat(28) + '42';
    mockCredentials({
      vcenter_certificate: () => ({ sha256, trusted: false }),
      credentials_add: () => ({ ...vcenter, id: 'new456', domain: 'vcenter:vc03.example.com' }),
    });
    render(Credentials, { status: linux });
    await openForm();
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'vcenter' } });
    await type('creds-field-label', 'Lab');
    await type('creds-field-host', 'vc03.example.com');
    await type('creds-field-username', 'administrator@vsphere.local');
    await type('creds-field-password', 'pw');

    await fireEvent.click(screen.getByTestId('creds-save'));
    const shown = await screen.findByTestId('creds-certificate');
    expect(shown.dataset.state).toBe('untrusted');
    expect(screen.getByTestId('creds-certificate-sha256').textContent).toBe(sha256);
    expect(callsTo('vcenter_certificate')).toEqual([{ host: 'vc03.example.com' }]);
    expect(callsTo('credentials_add')).toEqual([]);
    expect((await screen.findByTestId('creds-form-error')).textContent).toMatch(/not trusted by the system/);

    await fireEvent.click(screen.getByTestId('creds-certificate-pin'));
    expect((screen.getByTestId('creds-field-tls-sha256') as HTMLInputElement).value).toBe(sha256);
    await fireEvent.click(screen.getByTestId('creds-save'));
    await waitFor(() => expect(callsTo('credentials_add')).toHaveLength(1));
    expect((callsTo('credentials_add')[0].account as { tls: unknown }).tls).toEqual({ mode: 'pinned', sha256 });
    expect(callsTo('vcenter_certificate')).toHaveLength(1);
  });

  it('saves a vCenter the system trusts to be verified', async () => {
    mockCredentials({
      vcenter_certificate: () => ({ sha256: 'AB:'.repeat(31) + 'AB', trusted: true }),
      credentials_add: () => ({ ...vcenter, id: 'new789', domain: 'vcenter:vc04.example.com' }),
    });
    render(Credentials, { status: linux });
    await openForm();
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'vcenter' } });
    await type('creds-field-label', 'Prod');
    await type('creds-field-host', 'vc04.example.com');
    await type('creds-field-username', 'administrator@vsphere.local');
    await type('creds-field-password', 'pw');
    await fireEvent.click(screen.getByTestId('creds-save'));
    await waitFor(() => expect(callsTo('credentials_add')).toHaveLength(1));
    expect((callsTo('credentials_add')[0].account as { tls: unknown }).tls).toEqual({ mode: 'verify' });
  });

  it('adds a Jamf Pro credential whose secret stays in Vault: a reference, no secret', async () => {
    const reference = 'vault://vault.example.com:8200/secret/jamf/prod#client_secret';
    mockCredentials({
      credentials_add: () => ({ ...jamfClient, id: 'ref123', source: { reference, version: null, fetched: null } }),
    });
    render(Credentials, { status: linux });
    await openForm();
    await type('creds-field-label', 'Acme via Vault');
    await type('creds-field-url', 'https://acme.jamfcloud.com');
    await type('creds-field-client_id', 'abc');
    await fireEvent.change(screen.getByTestId('creds-field-secret_kept'), { target: { value: 'vault' } });
    expect(screen.queryByTestId('creds-field-client_secret')).toBeNull();
    await fireEvent.click(screen.getByTestId('creds-save'));
    expect((await screen.findByTestId('creds-field-error-secret_from')).textContent).toBe('Secret from is required.');
    expect(callsTo('credentials_add')).toEqual([]);
    await type('creds-field-secret_from', reference);
    await fireEvent.click(screen.getByTestId('creds-save'));
    await waitFor(() => expect(callsTo('credentials_add')).toHaveLength(1));
    expect(callsTo('credentials_add')[0]).toMatchObject({ secret: '', source: reference });
  });

  it('adds a vCenter credential whose password stays in AWS Secrets Manager', async () => {
    const reference = 'aws-sm://eu-west-1/vcenter/prod#password';
    mockCredentials({
      vcenter_certificate: () => ({ sha256: 'CD:'.repeat(31) + 'CD', trusted: true }),
      credentials_add: () => ({ ...vcenter, id: 'ref456', source: { reference, version: null, fetched: null } }),
    });
    render(Credentials, { status: linux });
    await openForm();
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'vcenter' } });
    await type('creds-field-label', 'Prod via AWS');
    await type('creds-field-host', 'vc05.example.com');
    await type('creds-field-username', 'administrator@vsphere.local');
    await fireEvent.change(screen.getByTestId('creds-field-secret_kept'), { target: { value: 'aws' } });
    expect(screen.queryByTestId('creds-field-password')).toBeNull();
    expect((screen.getByTestId('creds-field-secret_from') as HTMLInputElement).placeholder).toMatch(/^aws-sm:\/\//);
    await type('creds-field-secret_from', reference);
    await fireEvent.click(screen.getByTestId('creds-save'));
    await waitFor(() => expect(callsTo('credentials_add')).toHaveLength(1));
    expect(callsTo('credentials_add')[0]).toMatchObject({ secret: '', source: reference });
  });

  it('adds an AWS access key: its secret is typed here, never fetched from elsewhere', async () => {
    mockCredentials({ credentials_add: (args) => ({ ...vault, id: 'aws1', kind: 'aws', account: args.account }) });
    render(Credentials, { status: linux });
    await openForm();
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'aws' } });
    expect(screen.queryByTestId('creds-field-secret_kept')).toBeNull();
    await type('creds-field-label', 'Secrets EU');
    await type('creds-field-region', 'eu-west-1');
    await type('creds-field-access_key_id', 'AKIAEXAMPLE');
    await type('creds-field-secret_access_key', 'aws-typed-secret');
    await fireEvent.click(screen.getByTestId('creds-save'));
    await waitFor(() => expect(callsTo('credentials_add')).toHaveLength(1));
    expect(callsTo('credentials_add')[0]).toMatchObject({
      account: { type: 'aws', region: 'eu-west-1', access_key_id: 'AKIAEXAMPLE', role_arn: null, endpoint: null },
      secret: 'aws-typed-secret',
    });
  });

  it('adds an Azure app registration, and offers Azure Key Vault as where a Jamf secret is kept', async () => {
    mockCredentials({ credentials_add: (args) => ({ ...vault, id: 'az1', kind: 'azure', account: args.account }) });
    render(Credentials, { status: linux });
    await openForm();
    const kept = screen.getByTestId('creds-field-secret_kept') as HTMLSelectElement;
    expect([...kept.options].map((o) => o.value)).toEqual(['here', 'vault', 'aws', 'azure']);
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'azure' } });
    expect(screen.queryByTestId('creds-field-secret_kept')).toBeNull();
    await type('creds-field-label', 'Key Vault');
    await type('creds-field-vault_url', 'https://contoso.vault.azure.net');
    await type('creds-field-tenant_id', 'contoso.onmicrosoft.com');
    await type('creds-field-client_id', '00000000-0000-0000-0000-000000000001');
    await type('creds-field-client_secret', 'azure-typed-secret');
    await fireEvent.click(screen.getByTestId('creds-save'));
    await waitFor(() => expect(callsTo('credentials_add')).toHaveLength(1));
    expect(callsTo('credentials_add')[0]).toMatchObject({
      account: {
        type: 'azure',
        vault_url: 'https://contoso.vault.azure.net',
        tenant_id: 'contoso.onmicrosoft.com',
        client_id: '00000000-0000-0000-0000-000000000001',
        authority_host: null,
      },
      secret: 'azure-typed-secret',
    });
  });

  it('adds a Vault credential signing in with AppRole: the secret asked for is the secret ID', async () => {
    mockCredentials({ credentials_add: (args) => ({ ...vault, id: 'v2', account: args.account }) });
    render(Credentials, { status: linux });
    await openForm();
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'vault' } });
    await type('creds-field-label', 'Vault AppRole');
    await type('creds-field-address', 'https://vault.example.com:8200');
    await type('creds-field-namespace', 'team/a');
    expect(screen.getByTestId('creds-field-token')).not.toBeNull();
    await type('creds-field-role_id', 'role-1234');
    expect(screen.queryByTestId('creds-field-token')).toBeNull();
    await type('creds-field-secret_id', 'approle-secret-id');
    await fireEvent.click(screen.getByTestId('creds-save'));
    await waitFor(() => expect(callsTo('credentials_add')).toHaveLength(1));
    expect(callsTo('credentials_add')[0]).toMatchObject({
      account: { type: 'vault', address: 'https://vault.example.com:8200', namespace: 'team/a', role_id: 'role-1234' },
      secret: 'approle-secret-id',
    });
  });

  it('forgets the secret on Cancel', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    await openForm();
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'vault' } });
    await type('creds-field-address', 'https://vault.example.com:8200');
    await type('creds-field-token', 'hvs.cancelled-token');
    await fireEvent.click(screen.getByTestId('creds-cancel'));
    expect(screen.queryByTestId('creds-form')).toBeNull();
    expect(document.body.innerHTML).not.toContain('hvs.cancelled-token');
    await fireEvent.click(screen.getByTestId('creds-add'));
    await fireEvent.change(screen.getByTestId('creds-kind'), { target: { value: 'vault' } });
    expect((screen.getByTestId('creds-field-token') as HTMLInputElement).value).toBe('');
    expect(callsTo('credentials_add')).toEqual([]);
  });
});

describe('Credentials page: rotate, remove', () => {
  it('removes a credential only after the in-page confirmation', async () => {
    let listed = 0;
    mockCredentials({
      credentials_remove: () => null,
      credentials_overview: () => (listed++ ? overview({ credentials: [jamfClient, vcenter] }) : overview()),
    });
    const confirm = vi.spyOn(window, 'confirm');
    render(Credentials, { status: linux });
    await shown();

    await fireEvent.click(screen.getByTestId(`creds-remove-${vault.id}`));
    let dialog = screen.getByRole('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(within(dialog).getByRole('heading').textContent).toBe('Remove Vault ops?');
    expect(document.activeElement).toBe(screen.getByTestId('creds-remove-cancel'));
    await fireEvent.click(screen.getByTestId('creds-remove-cancel'));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(callsTo('credentials_remove')).toEqual([]);

    await fireEvent.click(screen.getByTestId(`creds-remove-${vault.id}`));
    dialog = screen.getByTestId('creds-remove-dialog');
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('creds-remove-dialog')).toBeNull();

    await fireEvent.click(screen.getByTestId(`creds-remove-${vault.id}`));
    await fireEvent.click(screen.getByTestId('creds-remove-confirm'));
    expect(callsTo('credentials_remove')).toEqual([{ id: vault.id }]);
    await waitFor(() => expect(screen.queryByTestId(`creds-row-${vault.id}`)).toBeNull());
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByTestId('creds-notice').textContent).toBe('Removed “Vault ops”.');
    expect(confirm).not.toHaveBeenCalled();
  });

  it('rotates with a required, masked new secret that is not kept', async () => {
    const secret = 'new-client-secret-77';
    mockCredentials({ credentials_rotate: () => ({ ...jamfClient, age_days: 0 }) });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.click(screen.getByTestId(`creds-rotate-${jamfClient.id}`));
    const dialog = screen.getByTestId('creds-rotate-dialog');
    expect(dialog.getAttribute('role')).toBe('dialog');
    const input = within(dialog).getByTestId('creds-field-client_secret') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(document.activeElement).toBe(input);

    await fireEvent.click(screen.getByTestId('creds-rotate-save'));
    expect(within(dialog).getByTestId('creds-field-error-client_secret').textContent).toBe('New client secret is required.');
    expect(callsTo('credentials_rotate')).toEqual([]);

    await fireEvent.input(input, { target: { value: secret } });
    await fireEvent.click(screen.getByTestId('creds-rotate-save'));
    expect(callsTo('credentials_rotate')).toEqual([{ id: jamfClient.id, secret }]);
    await waitFor(() => expect(screen.queryByTestId('creds-rotate-dialog')).toBeNull());
    expect(screen.getByTestId('creds-notice').textContent).toContain('Rotated “Acme production”');
    expect(document.body.innerHTML).not.toContain(secret);
  });
});

/** Opens the edit dialog of `c`, once the list is shown. */
async function openEdit(c: CredentialView) {
  await shown();
  await fireEvent.click(screen.getByTestId(`creds-edit-${c.id}`));
  return screen.getByTestId('creds-edit-dialog');
}

function input(dialog: HTMLElement, testid: string) {
  return within(dialog).getByTestId(testid) as HTMLInputElement;
}

async function edit(dialog: HTMLElement, testid: string, value: string) {
  await fireEvent.input(input(dialog, testid), { target: { value } });
}

describe('Credentials page: editing', () => {
  it('offers Edit on every row', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    await shown();
    for (const c of [jamfClient, vault, vcenter]) {
      const button = screen.getByTestId(`creds-edit-${c.id}`);
      expect(button.textContent).toBe('Edit');
      expect(button.getAttribute('aria-label')).toBe(`Edit ${c.label}`);
    }
  });

  it('starts from a Jamf Pro API client, with its type shown but not editable and no secret', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    const dialog = await openEdit(jamfClient);
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(within(dialog).getByRole('heading').textContent).toBe('Edit Acme production');
    expect(document.activeElement).toBe(input(dialog, 'creds-field-label'));
    expect(input(dialog, 'creds-field-label').value).toBe('Acme production');
    expect(input(dialog, 'creds-field-url').value).toBe('https://acme.jamfcloud.com');
    expect(input(dialog, 'creds-field-client_id').value).toBe('7d1e1f5c-api');
    expect(within(dialog).getByLabelText('Jamf Pro URL')).toBe(input(dialog, 'creds-field-url'));
    expect(within(dialog).getByLabelText('Client ID')).toBe(input(dialog, 'creds-field-client_id'));

    // The type is text, not a control.
    const kind = within(dialog).getByTestId('creds-edit-type');
    expect(kind.textContent).toBe('Jamf Pro API client');
    expect(kind.dataset.type).toBe('jamf_client');
    expect(kind.matches('input, select, textarea, button')).toBe(false);
    expect(within(dialog).queryByTestId('creds-kind')).toBeNull();
    // The one choice: where the secret is kept.
    expect([...dialog.querySelectorAll('select')].map((s) => s.dataset.testid)).toEqual(['creds-field-secret_kept']);
    expect(dialog.textContent).toContain('add a new credential');
    // No secret, and no other type's fields.
    expect(dialog.querySelectorAll('input[type="password"]')).toHaveLength(0);
    for (const f of ['client_secret', 'username', 'password', 'host', 'tls-mode', 'address', 'token']) {
      expect(within(dialog).queryByTestId(`creds-field-${f}`)).toBeNull();
    }
    expect(dialog.textContent).toContain('The client secret stays as it is: use Rotate to change it.');
    expect(screen.queryByTestId('creds-edit-lock-note')).toBeNull();
    expect(calls.map((c) => c.cmd)).toEqual(['credentials_overview']);

    await fireEvent.click(screen.getByTestId('creds-edit-cancel'));
    expect(screen.queryByTestId('creds-edit-dialog')).toBeNull();
    expect(callsTo('credentials_edit')).toEqual([]);
  });

  it('starts from a vCenter account with a pinned certificate', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    const dialog = await openEdit(vcenter);
    expect(within(dialog).getByRole('heading').textContent).toBe('Edit vCenter admin');
    expect(within(dialog).getByTestId('creds-edit-type').textContent).toBe('vCenter');
    expect(input(dialog, 'creds-field-label').value).toBe('vCenter admin');
    expect(input(dialog, 'creds-field-host').value).toBe('vc01.example.com');
    expect(input(dialog, 'creds-field-username').value).toBe('administrator@vsphere.local');
    expect((within(dialog).getByTestId('creds-field-tls-mode') as HTMLSelectElement).value).toBe('pinned');
    expect(input(dialog, 'creds-field-tls-sha256').value).toBe('ab'.repeat(32));
    expect(within(dialog).queryByTestId('creds-field-url')).toBeNull();
    expect(within(dialog).queryByTestId('creds-field-password')).toBeNull();
    // The certificate check and where the secret is kept are the selects: the type is not one.
    expect([...dialog.querySelectorAll('select')].map((s) => s.dataset.testid)).toEqual([
      'creds-field-tls-mode',
      'creds-field-secret_kept',
    ]);
  });

  it('saves a changed client ID as the whole account, keeping the type, and lists again', async () => {
    const changed: CredentialView = {
      ...jamfClient,
      account: { type: 'jamf_client', url: 'https://acme.jamfcloud.com', client_id: 'new-client-9' },
      unlocked: false,
      seconds_left: null,
    };
    let listed = 0;
    mockCredentials({
      credentials_edit: () => changed,
      credentials_overview: () => (listed++ ? overview({ credentials: [changed, vault, vcenter] }) : overview()),
    });
    render(Credentials, { status: linux });
    const dialog = await openEdit(jamfClient);
    await edit(dialog, 'creds-field-client_id', 'new-client-9');
    await fireEvent.click(screen.getByTestId('creds-edit-save'));

    await waitFor(() => expect(screen.queryByTestId('creds-edit-dialog')).toBeNull());
    expect(callsTo('credentials_edit')).toEqual([
      {
        id: jamfClient.id,
        label: 'Acme production',
        account: { type: 'jamf_client', url: 'https://acme.jamfcloud.com', client_id: 'new-client-9' },
      },
    ]);
    expect(callsTo('credentials_check').at(-1)).toEqual({
      label: 'Acme production',
      account: { type: 'jamf_client', url: 'https://acme.jamfcloud.com', client_id: 'new-client-9' },
    });
    expect(screen.getByTestId('creds-notice').textContent).toBe(
      'Saved “Acme production”. It is locked now: unlock Jamf Pro acme.jamfcloud.com again to use the new settings.',
    );
    await waitFor(() =>
      expect(within(screen.getByTestId(`creds-row-${jamfClient.id}`)).getByTestId('creds-principal').textContent).toBe('new-client-9'),
    );
    expect(callsTo('credentials_overview')).toHaveLength(2);
    expect(screen.getByTestId(`creds-state-${jamfClient.id}`).textContent).toBe('Locked');
  });

  it('says saving locks the domain only when it is unlocked and the account changed', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    let dialog = await openEdit(jamfClient);
    const note = () => within(dialog).queryByTestId('creds-edit-lock-note');

    // A new label alone keeps the domain unlocked.
    await edit(dialog, 'creds-field-label', 'Acme prod');
    expect(note()).toBeNull();

    await edit(dialog, 'creds-field-url', 'https://acme2.jamfcloud.com');
    expect(note()?.textContent?.trim()).toBe(
      'Saving locks Jamf Pro acme.jamfcloud.com: unlock it again to use the new settings.',
    );
    // Back as it was: nothing to lock for.
    await edit(dialog, 'creds-field-url', 'https://acme.jamfcloud.com');
    expect(note()).toBeNull();
    await edit(dialog, 'creds-field-client_id', 'other-client');
    expect(note()).not.toBeNull();
    await fireEvent.click(screen.getByTestId('creds-edit-cancel'));

    // A locked domain has nothing to lock.
    dialog = await openEdit(vcenter);
    await edit(dialog, 'creds-field-host', 'vc02.example.com');
    await fireEvent.change(within(dialog).getByTestId('creds-field-tls-mode'), { target: { value: 'verify' } });
    expect(note()).toBeNull();
    expect(callsTo('credentials_edit')).toEqual([]);
  });

  it('drops the lock note when the domain locks while the dialog is open', async () => {
    let listed = 0;
    mockCredentials({ credentials_overview: () => (listed++ ? withLock(overview(), [JAMF], null) : overview()) });
    render(Credentials, { status: linux });
    const dialog = await openEdit(jamfClient);
    await edit(dialog, 'creds-field-client_id', 'other-client');
    expect(within(dialog).getByTestId('creds-edit-lock-note')).toBeTruthy();
    await emit('credentials-changed');
    await waitFor(() => expect(within(dialog).queryByTestId('creds-edit-lock-note')).toBeNull());
    // What was typed stays.
    expect(input(dialog, 'creds-field-client_id').value).toBe('other-client');
  });

  it('moves a secret kept here into Vault: the reference alone is sent, and the domain locks', async () => {
    const reference = 'vault://vault.example.com:8200/secret/jamf/prod#client_secret';
    const moved: CredentialView = {
      ...jamfClient,
      unlocked: false,
      seconds_left: null,
      source: { reference, version: null, fetched: null },
    };
    mockCredentials({ credentials_move_secret: () => moved });
    render(Credentials, { status: linux });
    const dialog = await openEdit(jamfClient);
    const kept = within(dialog).getByTestId('creds-field-secret_kept') as HTMLSelectElement;
    expect(kept.value).toBe('here');
    expect([...kept.options].map((o) => o.value)).toEqual(['here', 'vault', 'aws', 'azure']);
    expect(within(dialog).queryByTestId('creds-field-secret_from')).toBeNull();

    await fireEvent.change(kept, { target: { value: 'vault' } });
    const from = input(dialog, 'creds-field-secret_from');
    expect(from.value).toBe('');
    expect(from.placeholder).toContain('vault://');
    expect(dialog.textContent).toContain('Saving deletes the client secret kept in the system secret store');
    expect(within(dialog).getByTestId('creds-edit-lock-note')).toBeTruthy();
    // Nothing to move to yet: named, and nothing sent.
    await fireEvent.click(screen.getByTestId('creds-edit-save'));
    await waitFor(() =>
      expect(within(dialog).getByTestId('creds-field-error-secret_from').textContent).toBe('Secret from is required.'),
    );
    expect(callsTo('credentials_move_secret')).toEqual([]);

    await edit(dialog, 'creds-field-secret_from', ` ${reference} `);
    await fireEvent.click(screen.getByTestId('creds-edit-save'));
    await waitFor(() => expect(screen.queryByTestId('creds-edit-dialog')).toBeNull());
    expect(callsTo('credentials_move_secret')).toEqual([{ id: jamfClient.id, source: reference, secret: null }]);
    // The label and account did not change: no edit is sent.
    expect(callsTo('credentials_edit')).toEqual([]);
    expect(screen.getByTestId('creds-notice').textContent).toContain('It is locked now');
  });

  it('moves a secret kept in a secret manager back here, with the new value required', async () => {
    const reference = 'aws-sm://eu-west-1/jamf/prod#client_secret';
    const referenced: CredentialView = { ...jamfClient, source: { reference, version: '3', fetched: null } };
    mockCredentials({
      credentials_overview: () => overview({ credentials: [referenced, vault, vcenter] }),
      credentials_move_secret: () => ({ ...referenced, source: null }),
    });
    render(Credentials, { status: linux });
    const dialog = await openEdit(referenced);
    expect(within(dialog).getByTestId('creds-edit-intro').textContent?.trim()).toBe(
      'The client secret is fetched from a secret manager at each unlock.',
    );
    const kept = within(dialog).getByTestId('creds-field-secret_kept') as HTMLSelectElement;
    expect(kept.value).toBe('aws');
    expect(input(dialog, 'creds-field-secret_from').value).toBe(reference);

    await fireEvent.change(kept, { target: { value: 'here' } });
    expect(within(dialog).queryByTestId('creds-field-secret_from')).toBeNull();
    const secret = input(dialog, 'creds-field-client_secret');
    expect(secret.type).toBe('password');
    await fireEvent.click(screen.getByTestId('creds-edit-save'));
    await waitFor(() =>
      expect(within(dialog).getByTestId('creds-field-error-client_secret').textContent).toBe('Client secret is required.'),
    );
    expect(callsTo('credentials_move_secret')).toEqual([]);

    await edit(dialog, 'creds-field-client_secret', 'typed-here');
    await fireEvent.click(screen.getByTestId('creds-edit-save'));
    await waitFor(() => expect(screen.queryByTestId('creds-edit-dialog')).toBeNull());
    expect(callsTo('credentials_move_secret')).toEqual([{ id: jamfClient.id, source: null, secret: 'typed-here' }]);
  });

  it('sends a certificate changed from pinned to verify as tls: { mode: "verify" }', async () => {
    mockCredentials({ credentials_edit: (a) => ({ ...vcenter, account: a.account }) });
    render(Credentials, { status: linux });
    const dialog = await openEdit(vcenter);
    await fireEvent.change(within(dialog).getByTestId('creds-field-tls-mode'), { target: { value: 'verify' } });
    expect(within(dialog).queryByTestId('creds-field-tls-sha256')).toBeNull();
    await fireEvent.click(screen.getByTestId('creds-edit-save'));
    await waitFor(() => expect(screen.queryByTestId('creds-edit-dialog')).toBeNull());
    expect(callsTo('credentials_edit')).toEqual([
      {
        id: vcenter.id,
        label: 'vCenter admin',
        account: { type: 'vcenter', host: 'vc01.example.com', username: 'administrator@vsphere.local', tls: { mode: 'verify' } },
      },
    ]);
    expect(screen.getByTestId('creds-notice').textContent).toBe('Saved “vCenter admin”.');
  });

  it('puts a rejected edit next to its field, or in the dialog when it names none', async () => {
    const rejections: CommandError[] = [
      { field: 'url', message: 'acme2.jamfcloud.com did not answer as a Jamf Pro server' },
      { field: 'kind', message: 'a credential cannot change its type: add a new credential instead' },
    ];
    mockCredentials({ credentials_edit: () => Promise.reject(rejections.shift()) });
    render(Credentials, { status: linux });
    const dialog = await openEdit(jamfClient);
    await edit(dialog, 'creds-field-url', 'https://acme2.jamfcloud.com');
    await fireEvent.click(screen.getByTestId('creds-edit-save'));

    const error = await within(dialog).findByTestId('creds-field-error-url');
    expect(error.textContent).toBe('acme2.jamfcloud.com did not answer as a Jamf Pro server');
    const url = input(dialog, 'creds-field-url');
    expect(url.parentElement!.contains(error)).toBe(true);
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(url.getAttribute('aria-describedby')).toContain(error.id);
    await waitFor(() => expect(document.activeElement).toBe(url));
    expect(within(dialog).queryByTestId('creds-dialog-error')).toBeNull();
    expect(within(dialog).queryByTestId('creds-field-error-client_id')).toBeNull();

    // Changing the field clears it; a problem with no field shown goes at the top.
    await edit(dialog, 'creds-field-url', 'https://acme3.jamfcloud.com');
    expect(within(dialog).queryByTestId('creds-field-error-url')).toBeNull();
    await fireEvent.click(screen.getByTestId('creds-edit-save'));
    const top = await within(dialog).findByTestId('creds-dialog-error');
    expect(top.textContent).toBe('a credential cannot change its type: add a new credential instead');
    expect(top.getAttribute('role')).toBe('alert');
    expect(callsTo('credentials_edit')).toHaveLength(2);
    expect(screen.getByTestId('creds-edit-dialog')).toBe(dialog);
  });

  it('shows the problems credentials_check finds next to their fields, and does not save with them', async () => {
    mockCredentials({
      credentials_check: (a) => {
        const account = a.account as { url: string };
        return account.url.startsWith('https://') ? [] : [{ field: 'url', message: 'url must use https' }];
      },
    });
    render(Credentials, { status: linux });
    const dialog = await openEdit(jamfClient);
    await edit(dialog, 'creds-field-url', 'http://acme.jamfcloud.com');
    expect((await within(dialog).findByTestId('creds-field-error-url')).textContent).toBe('url must use https');

    await fireEvent.click(screen.getByTestId('creds-edit-save'));
    await waitFor(() => expect(document.activeElement).toBe(input(dialog, 'creds-field-url')));
    expect(callsTo('credentials_edit')).toEqual([]);

    await edit(dialog, 'creds-field-url', 'https://acme.jamfcloud.com');
    await waitFor(() => expect(within(dialog).queryByTestId('creds-field-error-url')).toBeNull());
  });

  it('shows a label problem next to the label, and says so while saving', async () => {
    const pending = deferred<CredentialView>();
    const answers: unknown[] = [
      Promise.reject({ field: 'label', message: 'label is too long (at most 100 characters)' }),
      pending.promise,
    ];
    mockCredentials({ credentials_edit: () => answers.shift() });
    render(Credentials, { status: linux });
    const dialog = await openEdit(jamfClient);
    await edit(dialog, 'creds-field-label', 'x'.repeat(101));
    await fireEvent.click(screen.getByTestId('creds-edit-save'));
    expect((await within(dialog).findByTestId('creds-field-error-label')).textContent).toContain('too long');

    await edit(dialog, 'creds-field-label', 'Acme prod');
    expect(within(dialog).queryByTestId('creds-field-error-label')).toBeNull();
    const save = screen.getByTestId('creds-edit-save') as HTMLButtonElement;
    await fireEvent.click(save);
    await waitFor(() => expect(save.textContent?.trim()).toBe('Saving…'));
    expect(save.disabled).toBe(true);
    expect(save.getAttribute('aria-busy')).toBe('true');

    pending.resolve({ ...jamfClient, label: 'Acme prod' });
    await waitFor(() => expect(screen.queryByTestId('creds-edit-dialog')).toBeNull());
    const account = jamfClient.account;
    expect(callsTo('credentials_edit')).toEqual([
      { id: jamfClient.id, label: 'x'.repeat(101), account },
      { id: jamfClient.id, label: 'Acme prod', account },
    ]);
    // Only the label changed, so the domain stays unlocked.
    expect(screen.getByTestId('creds-notice').textContent).toBe('Saved “Acme prod”.');
  });
});

describe('Credentials page: testing a Jamf Pro connection', () => {
  const check = connectionCheck;

  function row(id: string) {
    return screen.getByTestId(`creds-row-${id}`);
  }

  it('offers Test connection on Jamf Pro and vCenter credentials only', async () => {
    mockCredentials();
    render(Credentials, { status: linux });
    await shown();
    expect(within(row(jamfClient.id)).getByTestId('test-connection').textContent).toBe('Test connection');
    expect(within(row(vcenter.id)).getByTestId('test-connection').getAttribute('title')).toContain('Signs in to vCenter');
    expect(within(row(vault.id)).queryByTestId('test-connection')).toBeNull();
    expect(screen.queryByTestId('test-connection-result')).toBeNull();
  });

  it('tests a vCenter credential and says what it saw', async () => {
    mockCredentials({
      vcenter_test_connection: () => ({
        server: 'vc01.example.com',
        user: 'VSPHERE.LOCAL\\Administrator',
        api: 'api',
        pinned: 'AB:'.repeat(31) + 'AB',
        vms: 30,
        hosts: 3,
      }),
    });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.click(within(row(vcenter.id)).getByTestId('test-connection'));
    expect(callsTo('vcenter_test_connection')).toEqual([{ id: vcenter.id }]);
    const result = await screen.findByTestId('test-connection-result');
    expect(result.dataset.state).toBe('ok');
    expect(result.textContent).toBe(
      'Connected to vc01.example.com as VSPHERE.LOCAL\\Administrator — 30 VMs on 3 hosts (/api, certificate pinned)',
    );
  });

  it('says Testing… while it runs, then what it found', async () => {
    const pending = deferred<ConnectionCheck>();
    mockCredentials({ jamf_test_connection: () => pending.promise });
    render(Credentials, { status: linux });
    await shown();
    const button = within(row(jamfClient.id)).getByTestId('test-connection') as HTMLButtonElement;
    await fireEvent.click(button);
    expect(callsTo('jamf_test_connection')).toEqual([{ id: jamfClient.id }]);
    await waitFor(() => expect(button.textContent).toBe('Testing…'));
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-busy')).toBe('true');

    pending.resolve(check);
    const result = await within(row(jamfClient.id)).findByTestId('test-connection-result');
    expect(result.textContent).toBe(
      'Connected to acme.jamfcloud.com — Jamf Pro 11.30.1, 1,234 computers (API client, 412 ms)',
    );
    expect(result.dataset.state).toBe('ok');
    expect(result.dataset.id).toBe(jamfClient.id);
    expect(button.textContent).toBe('Test connection');
    expect(button.disabled).toBe(false);
  });

  it('shows why the connection failed, and a later test replaces it', async () => {
    const answers: unknown[] = [
      Promise.reject('Jamf Pro answered 401 Unauthorized: check the client ID and secret'),
      { ...check, version: null, computers: null, auth: 'user', elapsed_ms: 1532 },
    ];
    // A locked domain: the broker asks for presence first; the page just waits.
    mockCredentials({ jamf_test_connection: () => answers.shift(), credentials_overview: () => withLock(overview(), [JAMF], null) });
    render(Credentials, { status: linux });
    await shown();
    const button = within(row(jamfClient.id)).getByTestId('test-connection');
    expect(button.getAttribute('title')).toContain('its domain is locked, so you confirm first');
    await fireEvent.click(button);
    const result = await within(row(jamfClient.id)).findByTestId('test-connection-result');
    expect(result.textContent).toBe('Connection failed: Jamf Pro answered 401 Unauthorized: check the client ID and secret');
    expect(result.dataset.state).toBe('failed');
    expect(result.getAttribute('role')).toBe('alert');

    await fireEvent.click(button);
    const again = await waitFor(() => {
      const r = within(row(jamfClient.id)).getByTestId('test-connection-result');
      expect(r.dataset.state).toBe('ok');
      return r;
    });
    expect(again.textContent).toBe('Connected to acme.jamfcloud.com — Jamf Pro (version not reported) (user account, 1.53 s)');
    expect(callsTo('jamf_test_connection')).toEqual([{ id: jamfClient.id }, { id: jamfClient.id }]);
  });

  it('flags an over-privileged account with a badge and says what it can do beyond the role', async () => {
    const summary =
      'it can also: Delete Computers, Send Computer Remote Wipe Command; Latchkey needs only the 15 privileges `latchkey jamf privileges` lists';
    const privileges = {
      privilege_set: 'CUSTOM',
      granted: 17,
      beyond: ['Delete Computers', 'Send Computer Remote Wipe Command'],
      missing: [],
      over_privileged: true,
      summary,
    };
    mockCredentials({ jamf_test_connection: () => ({ ...check, privileges }) });
    render(Credentials, { status: linux });
    await shown();
    expect(screen.queryByTestId(`creds-over-privileged-${jamfClient.id}`)).toBeNull();
    await fireEvent.click(within(row(jamfClient.id)).getByTestId('test-connection'));
    const said = await within(row(jamfClient.id)).findByTestId('test-connection-privileges');
    expect(said.textContent).toBe(`Privileges: ${summary}`);
    expect(said.title).toBe('Beyond what Latchkey needs: Delete Computers, Send Computer Remote Wipe Command');
    const badge = within(row(jamfClient.id)).getByTestId(`creds-over-privileged-${jamfClient.id}`);
    expect(badge.textContent).toBe('Over-privileged');
    expect(badge.title).toBe(summary);
  });

  it('flags an account missing a privilege a tool needs', async () => {
    const privileges = {
      privilege_set: 'CUSTOM',
      granted: 14,
      beyond: [],
      missing: [{ privilege: 'Read Policies', tools: ['jamf_policies'] }],
      over_privileged: false,
      summary: 'missing "Read Policies" (needed by jamf_policies)',
    };
    mockCredentials({ jamf_test_connection: () => ({ ...check, privileges }) });
    render(Credentials, { status: linux });
    await shown();
    await fireEvent.click(within(row(jamfClient.id)).getByTestId('test-connection'));
    const badge = await within(row(jamfClient.id)).findByTestId(`creds-missing-privileges-${jamfClient.id}`);
    expect(badge.textContent).toBe('Missing privileges');
    expect(screen.queryByTestId(`creds-over-privileged-${jamfClient.id}`)).toBeNull();
  });
});
