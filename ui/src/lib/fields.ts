/** A field's name in data-testids and element ids: "tls.sha256" becomes "tls-sha256". */
export function fieldSlug(field: string): string {
  return field.replace(/[^a-z0-9_-]/gi, '-');
}
