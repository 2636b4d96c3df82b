// The app's presence dialog against mocked Tauri events: a presence-request shows it, the
// answer goes back through presence_answer, presence-closed takes a prompt away.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import PresenceDialog from '../src/lib/PresenceDialog.svelte';
import type { PresencePrompt } from '../src/lib/backend';

let answers: unknown[] = [];

function mockPresence() {
  mockIPC(
    (cmd, args) => {
      if (cmd === 'presence_answer') {
        answers.push(args);
        return null;
      }
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
}

const unlockJamf: PresencePrompt = {
  event: 'request',
  id: 7,
  action: 'unlock Jamf Pro acme.jamfcloud.com',
  reason: 'unlock Jamf Pro acme.jamfcloud.com',
  requester: { kind: 'app' },
  purpose: 'confirm',
};
const fromClaude: PresencePrompt = {
  event: 'request',
  id: 8,
  action: 'unlock vCenter vc01.example.com',
  reason: 'unlock vCenter vc01.example.com (asked by Claude Desktop)',
  requester: { kind: 'assistant', name: 'Claude Desktop' },
  purpose: 'confirm',
};
const fromCli: PresencePrompt = {
  event: 'request',
  id: 9,
  action: 'unlock all domains',
  reason: 'unlock all domains (asked from the latchkey command line)',
  requester: { kind: 'cli' },
  purpose: 'confirm',
};
const newAssistant: PresencePrompt = {
  event: 'request',
  id: 11,
  action: 'allow python3 (/usr/bin/python3, pid 4242) to use Latchkey',
  reason: 'allow python3 (/usr/bin/python3, pid 4242) to use Latchkey (asked by python3)',
  requester: { kind: 'assistant', name: 'python3' },
  purpose: 'allow_assistant',
};

async function dialog() {
  return screen.findByTestId('presence-dialog');
}

beforeEach(() => (answers = []));
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('presence dialog', () => {
  it('shows nothing until asked', () => {
    mockPresence();
    render(PresenceDialog);
    expect(screen.queryByTestId('presence-dialog')).toBeNull();
  });

  it('asks on presence-request, says it is no biometric check, and confirms', async () => {
    mockPresence();
    render(PresenceDialog);
    await emit('presence-request', unlockJamf);
    const shown = await dialog();
    expect(shown.getAttribute('role')).toBe('dialog');
    expect(shown.getAttribute('aria-modal')).toBe('true');
    expect(within(shown).getByRole('heading').textContent).toBe('Confirm: unlock Jamf Pro acme.jamfcloud.com');
    expect(screen.getByRole('dialog', { name: 'Confirm: unlock Jamf Pro acme.jamfcloud.com' })).toBe(shown);
    expect(screen.getByTestId('presence-requester').textContent).toBe('the Latchkey app');
    expect(shown.textContent).toContain('This is a confirmation, not biometrics: anyone at this desktop can answer it.');
    // Enter on the focused button must not approve by accident.
    expect(document.activeElement).toBe(screen.getByTestId('presence-cancel'));

    await fireEvent.click(screen.getByTestId('presence-confirm'));
    expect(answers).toEqual([{ id: 7, approved: true }]);
    await waitFor(() => expect(screen.queryByTestId('presence-dialog')).toBeNull());
  });

  it('asks to allow a new assistant with Allow and Deny, saying what allowing means', async () => {
    mockPresence();
    render(PresenceDialog);
    await emit('presence-request', newAssistant);
    const shown = await dialog();
    expect(shown.dataset.purpose).toBe('allow_assistant');
    expect(within(shown).getByRole('heading').textContent).toBe('Allow an assistant?');
    expect(screen.getByRole('dialog', { name: 'Allow an assistant?' })).toBe(shown);
    expect(screen.getByTestId('presence-action').textContent).toBe(
      'allow python3 (/usr/bin/python3, pid 4242) to use Latchkey',
    );
    expect(shown.textContent).toMatch(/allow python3 .* to use Latchkey/);
    expect(screen.getByTestId('presence-requester').textContent).toBe('assistant python3');
    expect(shown.textContent).toContain(
      "It will be able to call Latchkey's read-only tools; credentials stay locked until you unlock them.",
    );
    expect(shown.textContent).toContain('Your answer is remembered (change it on the Assistants page).');
    const allow = screen.getByTestId('presence-confirm');
    const deny = screen.getByTestId('presence-cancel');
    expect(allow.textContent).toBe('Allow');
    expect(deny.textContent).toBe('Deny');
    // Enter on the focused button must not let an assistant in by accident.
    expect(document.activeElement).toBe(deny);

    await fireEvent.click(allow);
    expect(answers).toEqual([{ id: 11, approved: true }]);
    await waitFor(() => expect(screen.queryByTestId('presence-dialog')).toBeNull());
  });

  it('answers Deny with a refusal, and goes back to Confirm / Cancel for the next prompt', async () => {
    mockPresence();
    render(PresenceDialog);
    await emit('presence-request', newAssistant);
    await emit('presence-request', unlockJamf);
    let shown = await dialog();
    expect(within(shown).getByRole('heading').textContent).toBe('Allow an assistant?');
    expect(screen.getByTestId('presence-waiting').textContent).toBe('1 more waiting after this one.');

    await fireEvent.click(screen.getByTestId('presence-cancel'));
    expect(answers).toEqual([{ id: 11, approved: false }]);
    await waitFor(() => expect(screen.getByRole('heading').textContent).toBe('Confirm: unlock Jamf Pro acme.jamfcloud.com'));
    shown = await dialog();
    expect(shown.dataset.purpose).toBe('confirm');
    expect(screen.queryByTestId('presence-action')).toBeNull();
    expect(shown.textContent).not.toContain('read-only tools');
    expect(screen.getByTestId('presence-confirm').textContent).toBe('Confirm');
    expect(screen.getByTestId('presence-cancel').textContent).toBe('Cancel');
  });

  it('queues prompts, one at a time, answering Cancel and Escape with a refusal', async () => {
    mockPresence();
    render(PresenceDialog);
    await emit('presence-request', fromClaude);
    await emit('presence-request', fromCli);
    await emit('presence-request', fromClaude); // a repeat is not asked twice
    let shown = await dialog();
    expect(within(shown).getByRole('heading').textContent).toBe('Confirm: unlock vCenter vc01.example.com');
    expect(screen.getByTestId('presence-requester').textContent).toBe('assistant Claude Desktop');
    expect(screen.getByTestId('presence-waiting').textContent).toBe('1 more waiting after this one.');

    await fireEvent.click(screen.getByTestId('presence-cancel'));
    expect(answers).toEqual([{ id: 8, approved: false }]);
    await waitFor(() => expect(screen.getByTestId('presence-requester').textContent).toBe('the latchkey command line'));
    shown = await dialog();
    expect(within(shown).getByRole('heading').textContent).toBe('Confirm: unlock all domains');
    expect(screen.queryByTestId('presence-waiting')).toBeNull();

    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(answers).toEqual([
      { id: 8, approved: false },
      { id: 9, approved: false },
    ]);
    await waitFor(() => expect(screen.queryByTestId('presence-dialog')).toBeNull());
  });

  it('closes a prompt on presence-closed, leaving the others', async () => {
    mockPresence();
    render(PresenceDialog);
    await emit('presence-request', unlockJamf);
    await emit('presence-request', fromCli);
    await dialog();

    await emit('presence-closed', { id: 9 });
    await waitFor(() => expect(screen.queryByTestId('presence-waiting')).toBeNull());
    expect(screen.getByTestId('presence-requester').textContent).toBe('the Latchkey app');

    await emit('presence-closed', { id: 7 });
    await waitFor(() => expect(screen.queryByTestId('presence-dialog')).toBeNull());
    await emit('presence-closed', { id: 12 });
    expect(answers).toEqual([]);
  });

  it('keeps Tab inside the dialog', async () => {
    mockPresence();
    render(PresenceDialog);
    await emit('presence-request', unlockJamf);
    await dialog();
    const confirm = screen.getByTestId('presence-confirm');
    const cancel = screen.getByTestId('presence-cancel');
    expect(document.activeElement).toBe(cancel);
    await fireEvent.keyDown(window, { key: 'Tab' });
    expect(document.activeElement).toBe(confirm);
    await fireEvent.keyDown(window, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(cancel);
  });
});
