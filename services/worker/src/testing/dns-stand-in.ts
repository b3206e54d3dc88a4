import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';

/**
 * A DNS server for tests (UDP, on 127.0.0.1, a free port): answers A and
 * AAAA questions from a map the test changes as it goes, so a receiver's name
 * can resolve to a public address when its endpoint is created and to
 * 169.254.169.254 when a delivery is attempted (DNS rebinding). TTL 0, so no
 * resolver keeps an answer. An unknown name is NXDOMAIN; a known name without
 * an address of the asked family is an empty answer (NODATA), as real servers
 * answer. Point WEBHOOK_DNS_SERVERS at `server`.
 */
export class DnsStandIn {
  /** Name (lower case, no trailing dot) → its addresses, IPv4 and IPv6 mixed. */
  readonly records = new Map<string, string[]>();
  /** Questions received, as `name type` (`hooks.test A`). */
  readonly questions: string[] = [];

  private constructor(
    private readonly socket: Socket,
    /** `127.0.0.1:<port>`, as WEBHOOK_DNS_SERVERS takes it. */
    readonly server: string,
  ) {}

  static async start(): Promise<DnsStandIn> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    const dns = new DnsStandIn(socket, `127.0.0.1:${socket.address().port}`);
    socket.on('message', (query, from) => {
      const answer = dns.answer(query);
      if (answer) socket.send(answer, from.port, from.address);
    });
    return dns;
  }

  /** `name` resolves to `addresses` from now on (none: NXDOMAIN). */
  set(name: string, ...addresses: string[]): void {
    this.records.set(name.toLowerCase(), addresses);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 12) return undefined;
    // One question: labels, then type and class.
    const labels: string[] = [];
    let offset = 12;
    while (offset < query.length && query[offset] !== 0) {
      const length = query[offset] as number;
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
      offset += length + 1;
    }
    const questionEnd = offset + 5;
    if (questionEnd > query.length) return undefined;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    this.questions.push(`${name} ${type === 1 ? 'A' : type === 28 ? 'AAAA' : type}`);
    const known = this.records.get(name);
    const family = type === 1 ? 4 : type === 28 ? 6 : 0;
    const addresses = (known ?? []).filter((address) => isIP(address) === family);
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    // QR, opcode 0, RD copied, RA; rcode 3 (NXDOMAIN) for a name it does not know.
    header.writeUInt16BE(0x8180 | ((query.readUInt16BE(2) & 0x0100) > 0 ? 0x0100 : 0) | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const records = addresses.map((address) => {
      const data = family === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
      const record = Buffer.alloc(12);
      record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      record.writeUInt16BE(type, 2);
      record.writeUInt16BE(1, 4); // class IN
      record.writeUInt32BE(0, 6); // TTL 0
      record.writeUInt16BE(data.length, 10);
      return Buffer.concat([record, data]);
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
  }
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = Buffer.alloc(16);
  for (const [index, group] of all.entries()) bytes.writeUInt16BE(group, index * 2);
  return bytes;
}
