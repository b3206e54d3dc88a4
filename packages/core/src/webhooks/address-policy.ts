import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Which URLs a webhook may be sent to. A webhook is a request the platform
 * makes on a user's behalf, so without rules it is a way into the platform's
 * own network (the instance metadata service, the VPC's databases, anything
 * on loopback). The API checks an endpoint's URL when it is created or
 * changed, and the worker checks it again before every attempt, since a name
 * that resolved to a public address yesterday may resolve to 10.0.0.5 today:
 * the worker then connects to exactly the address this check returns, so a
 * second lookup (DNS rebinding) cannot swap it.
 *
 * The rules, kept short so they can be stated in the docs:
 * - `https:` only (`http:` only with allowLoopbackHttp, the local platform's);
 *   no `user:password@`; at most 2048 characters.
 * - Port 443, 8443 or any from 1024 up (80 only with the allowance): the
 *   well-known ports below 1024 are other protocols' (SMTP, SSH, ...).
 * - The host is resolved once (A and AAAA); the URL is refused when ANY
 *   address is not a public unicast one (so a name cannot pair a public
 *   address with a private one and hope the private one gets picked).
 *   IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) IPv6 addresses are
 *   judged as the IPv4 address they carry; other IPv6 addresses must be global
 *   unicast (2000::/3). Loopback (127.0.0.0/8, ::1, `localhost`) only with the
 *   allowance.
 */

export interface AddressPolicyOptions {
  /** Local platform only (WEBHOOK_ALLOW_LOOPBACK_HTTP): http:// and loopback addresses (127.0.0.0/8, ::1) allowed. */
  readonly allowLoopbackHttp: boolean;
  /** DNS servers to ask (`host:port`, WEBHOOK_DNS_SERVERS); unset: the system's (node:dns Resolver defaults). */
  readonly dnsServers?: readonly string[] | undefined;
}

export type EndpointRefusal = {
  readonly ok: false;
  readonly code: 'invalid_url' | 'scheme_not_allowed' | 'credentials_in_url' | 'port_not_allowed' | 'address_refused' | 'dns_failed';
  readonly reason: string;
};

export type EndpointCheck = { readonly ok: true; readonly url: URL; readonly address: string; readonly family: 4 | 6 } | EndpointRefusal;

/** Longest URL accepted. */
export const MAX_ENDPOINT_URL_LENGTH = 2048;
/** Ports below 1024 that serve HTTPS in practice; every port from 1024 up is allowed. */
const LOW_HTTPS_PORTS = new Set([443, 8443]);
/** One lookup's patience: a webhook attempt has WEBHOOK_TIMEOUT_MS in all, an API request less. */
const DNS_TIMEOUT_MS = 2000;
const DNS_TRIES = 2;

interface Range {
  readonly cidr: string;
  readonly what: string;
  readonly list: BlockList;
}

function range(cidr: string, what: string): Range {
  const [network, prefix] = cidr.split('/') as [string, string];
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  return { cidr, what, list };
}

const LOOPBACK_V4 = range('127.0.0.0/8', 'loopback');
const LOOPBACK_V6 = range('::1/128', 'loopback');

const REFUSED_V4: readonly Range[] = [
  range('0.0.0.0/8', '"this network"'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'carrier-grade NAT'),
  range('169.254.0.0/16', 'link-local (instance metadata)'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'IETF protocol assignments'),
  range('192.0.2.0/24', 'documentation'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved (and broadcast)'),
];

const REFUSED_V6: readonly Range[] = [
  range('::/128', 'unspecified'),
  range('fd00:ec2::254/128', 'instance metadata'),
  range('fc00::/7', 'unique local'),
  range('fe80::/10', 'link-local'),
  range('ff00::/8', 'multicast'),
  range('2001:db8::/32', 'documentation'),
];
const GLOBAL_UNICAST_V6 = range('2000::/3', 'global unicast');

/** Prefixes of IPv6 addresses whose last 32 bits are an IPv4 address that is what gets reached. */
const EMBEDDED_V4 = [range('::ffff:0:0/96', 'IPv4-mapped'), range('64:ff9b::/96', 'NAT64')];

export class EndpointAddressPolicy {
  private readonly allowLoopback: boolean;
  private readonly dnsServers: readonly string[] | undefined;

  constructor(options: AddressPolicyOptions) {
    this.allowLoopback = options.allowLoopbackHttp;
    this.dnsServers = options.dnsServers && options.dnsServers.length > 0 ? options.dnsServers : undefined;
  }

  /** Syntax only (no DNS): scheme https (http only with the allowance), no user:pass, length ≤ 2048, host present, port. */
  checkSyntax(raw: string): { ok: true; url: URL } | EndpointRefusal {
    if (raw.length > MAX_ENDPOINT_URL_LENGTH) {
      return refuse('invalid_url', `the URL is longer than ${MAX_ENDPOINT_URL_LENGTH} characters`);
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return refuse('invalid_url', 'not an absolute URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.allowLoopback)) {
      return refuse('scheme_not_allowed', `the scheme must be https, not ${url.protocol.replace(/:$/, '')}`);
    }
    if (url.username !== '' || url.password !== '') {
      return refuse('credentials_in_url', 'the URL must not carry a user name or password; authenticate with the signature');
    }
    if (url.hostname === '') return refuse('invalid_url', 'the URL has no host');
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    if (!(LOW_HTTPS_PORTS.has(port) || port >= 1024 || (port === 80 && this.allowLoopback))) {
      return refuse('port_not_allowed', `port ${port} is not allowed; use 443, 8443 or a port from 1024 up`);
    }
    return { ok: true, url };
  }

  /**
   * Syntax, then the host resolved ONCE (A and AAAA); refused if ANY address
   * is not public. Returns the address to connect to (the first IPv4 one, else
   * the first IPv6 one); literal IPs are checked without DNS.
   */
  async check(raw: string): Promise<EndpointCheck> {
    const syntax = this.checkSyntax(raw);
    if (!syntax.ok) return syntax;
    const { url } = syntax;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: { address: string; family: 4 | 6 }[];
    if (isIP(host) !== 0) {
      addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
    } else if (host === 'localhost' || host.endsWith('.localhost')) {
      // RFC 6761: these names are loopback whatever a DNS server says, and the resolver does not read /etc/hosts.
      addresses = [{ address: '127.0.0.1', family: 4 }];
    } else {
      const resolved = await this.resolve(host);
      if (!resolved.ok) return resolved;
      addresses = resolved.addresses;
    }
    for (const { address } of addresses) {
      const why = this.refusalOf(address);
      if (why !== undefined) return refuse('address_refused', `${host} resolves to ${address}, ${why}`);
    }
    const [first] = addresses as [{ address: string; family: 4 | 6 }];
    return { ok: true, url, address: first.address, family: first.family };
  }

  /** Why `address` may not be connected to, or undefined when it may. */
  refusalOf(address: string): string | undefined {
    const family = isIP(address);
    if (family === 4) return this.refusalOfV4(address);
    if (family !== 6) return 'not an IP address';
    if (LOOPBACK_V6.list.check(address, 'ipv6')) return this.allowLoopback ? undefined : 'a loopback address (::1)';
    for (const prefix of EMBEDDED_V4) {
      if (prefix.list.check(address, 'ipv6')) {
        const why = this.refusalOfV4(embeddedV4(address));
        return why === undefined ? undefined : `an ${prefix.what} form of ${embeddedV4(address)}, ${why}`;
      }
    }
    for (const r of REFUSED_V6) {
      if (r.list.check(address, 'ipv6')) return `a ${r.what} address (${r.cidr})`;
    }
    if (!GLOBAL_UNICAST_V6.list.check(address, 'ipv6')) return 'not a global unicast address (2000::/3)';
    return undefined;
  }

  private refusalOfV4(address: string): string | undefined {
    if (LOOPBACK_V4.list.check(address, 'ipv4')) return this.allowLoopback ? undefined : 'a loopback address (127.0.0.0/8)';
    for (const r of REFUSED_V4) {
      if (r.list.check(address, 'ipv4')) return `a ${r.what} address (${r.cidr})`;
    }
    return undefined;
  }

  private async resolve(host: string): Promise<{ ok: true; addresses: { address: string; family: 4 | 6 }[] } | EndpointRefusal> {
    const resolver = new dns.Resolver({ timeout: DNS_TIMEOUT_MS, tries: DNS_TRIES });
    if (this.dnsServers) resolver.setServers([...this.dnsServers]);
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const failures = [v4, v6].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // "No such record" for one family is an answer; anything else (timeout, SERVFAIL) could hide an address.
    const hard = failures.find((r) => !NO_RECORD.has((r.reason as NodeJS.ErrnoException).code ?? ''));
    if (hard) return refuse('dns_failed', `could not resolve ${host}: ${(hard.reason as Error).message}`);
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
    ];
    if (addresses.length === 0) return refuse('dns_failed', `${host} has no A or AAAA record`);
    return { ok: true, addresses };
  }
}

const NO_RECORD: ReadonlySet<string> = new Set([dns.NODATA, dns.NOTFOUND]);

function refuse(code: EndpointRefusal['code'], reason: string): EndpointRefusal {
  return { ok: false, code, reason };
}

/** The IPv4 address in the last 32 bits of an IPv6 address (written either as hex groups or dotted). */
function embeddedV4(address: string): string {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) return dotted[1] as string;
  const groups = expandV6(address);
  const high = groups[6] as number;
  const low = groups[7] as number;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The eight 16-bit groups of an IPv6 address without a dotted tail. */
function expandV6(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
