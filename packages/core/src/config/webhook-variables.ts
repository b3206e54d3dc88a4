import { isIP } from 'node:net';
import { ConfigError } from '../errors';
import { list, oneOf } from './variables';

/**
 * The variables of the webhook address policy (webhooks/address-policy.ts),
 * read the same way by the API (which checks a URL when an endpoint is created
 * or changed) and the worker (which checks it again before every attempt):
 * the two must agree on what a URL may reach, or an endpoint the API accepted
 * would be refused at every attempt, or the reverse.
 */
export const webhookAddressVariables = {
  WEBHOOK_ALLOW_LOOPBACK_HTTP: oneOf(['true', 'false'], {
    default: 'false',
    doc: 'local platform only: http:// and loopback receiver URLs allowed',
  }),
  WEBHOOK_DNS_SERVERS: list({
    default: [],
    defaultDoc: 'unset',
    doc: "DNS servers (`ip` or `ip:port`, comma-separated) that resolve receivers' names; unset: the system's",
    item: dnsServer,
  }),
};

/** An entry of WEBHOOK_DNS_SERVERS as node:dns setServers takes it: `1.2.3.4`, `1.2.3.4:53`, `::1`, `[::1]:53`. */
function dnsServer(entry: string, name: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const [host, port] = bracketed
    ? [bracketed[1] as string, bracketed[2]]
    : isIP(entry) === 6
      ? [entry, undefined]
      : (entry.split(':') as [string, string | undefined]);
  if (isIP(host) === 0 || (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535))) {
    throw new ConfigError(`${name} must list IP addresses with an optional port (1.2.3.4:53, [::1]:53), got "${entry}"`);
  }
  return entry;
}
