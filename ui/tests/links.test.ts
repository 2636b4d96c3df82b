// External links leave the webview through the opener plugin; everything else is untouched.
import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { backend } from '../src/lib/backend';
import { openExternalLink } from '../src/lib/links';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

function click(html: string): { handled: boolean; prevented: boolean } {
  document.body.innerHTML = html;
  const target = document.querySelector('[data-click]')!;
  const event = new MouseEvent('click', { bubbles: true, cancelable: true });
  let handled = false;
  target.addEventListener('click', (e) => (handled = openExternalLink(e as MouseEvent, backend.openExternal)));
  target.dispatchEvent(event);
  return { handled, prevented: event.defaultPrevented };
}

describe('openExternalLink', () => {
  it('sends an https target=_blank link (even a click on its child) to the opener plugin', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
    });
    const result = click('<a href="https://support.apple.com/en-us/126795" target="_blank"><b data-click>notes</b></a>');
    expect(result).toEqual({ handled: true, prevented: true });
    await Promise.resolve();
    expect(calls).toEqual([['plugin:opener|open_url', { url: 'https://support.apple.com/en-us/126795' }]]);
  });

  it('leaves in-app links and non-https links alone', () => {
    mockIPC(() => {
      throw new Error('must not be called');
    });
    expect(click('<a href="#x" data-click>in app</a>')).toEqual({ handled: false, prevented: false });
    expect(click('<a href="http://example.test/" target="_blank" data-click>plain http</a>')).toEqual({ handled: false, prevented: false });
    expect(click('<button data-click>not a link</button>')).toEqual({ handled: false, prevented: false });
  });
});
