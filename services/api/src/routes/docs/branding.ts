import { API_TITLE } from '../../plugins/openapi';

/**
 * What Swagger UI at /docs shows of us: the page title, the logo in its top
 * bar (instead of the Fastify logo @fastify/swagger-ui puts there) and the
 * browser-tab icon (instead of Swagger's). Plain SVG, kept here as text so the
 * build needs no asset copying; the logo is drawn for the UI's dark top bar.
 */

export const DOCS_TITLE = `${API_TITLE} — API documentation`;

/** A sheet with rows: an export of memberships as CSV. */
const MARK =
  '<rect x="2" y="4" width="40" height="40" rx="8" fill="#2f855a"/>' +
  '<path d="M12 16h20M12 24h20M12 32h12" stroke="#ffffff" stroke-width="3.5" stroke-linecap="round"/>';

export const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 330 48" width="330" height="48">' +
  MARK +
  `<text x="54" y="32" font-family="Helvetica, Arial, sans-serif" font-size="22" font-weight="700" fill="#ffffff">${API_TITLE}</text>` +
  '</svg>';

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 44 48" width="44" height="48">${MARK}</svg>`;
