/**
 * Text into HTML, for the few documents the platform writes by hand (the
 * emails' HTML part, the API's link pages): every character that could end
 * an element or an attribute value becomes a numeric character reference.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
