// Links meant for the browser (target="_blank": Apple's notes, NVD) must leave the webview:
// one document-level handler sends them to the system browser, so components stay plain <a>.

/** Handles a click: returns true when it was an external https link and was sent to `open`. */
export function openExternalLink(event: MouseEvent, open: (url: string) => Promise<void>): boolean {
  const link = (event.target as Element | null)?.closest?.('a[target="_blank"]') as HTMLAnchorElement | null;
  if (!link || !link.href.startsWith('https://')) return false;
  event.preventDefault();
  open(link.href).catch((e) => console.error(`could not open ${link.href}: ${e}`));
  return true;
}
