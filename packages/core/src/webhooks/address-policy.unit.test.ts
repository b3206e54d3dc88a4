import { EndpointAddressPolicy } from './address-policy';

// Names that need DNS are checked against a DNS stand-in in the worker's
// address-policy-dns.unit.test.ts; here every host is a literal (no lookup).
const strict = new EndpointAddressPolicy({ allowLoopbackHttp: false });
const local = new EndpointAddressPolicy({ allowLoopbackHttp: true });

describe('EndpointAddressPolicy.checkSyntax', () => {
  it('accepts an https URL with a host', () => {
    const check = strict.checkSyntax('https://hooks.example.com/memberships?x=1');
    expect(check).toMatchObject({ ok: true });
    expect(check.ok && check.url.hostname).toBe('hooks.example.com');
  });

  it.each([
    ['not a url', 'invalid_url'],
    ['/relative/path', 'invalid_url'],
    [`https://example.com/${'a'.repeat(2048)}`, 'invalid_url'],
    ['http://example.com/hook', 'scheme_not_allowed'],
    ['ftp://example.com/hook', 'scheme_not_allowed'],
    ['file:///etc/passwd', 'scheme_not_allowed'],
    ['https://user:pass@example.com/hook', 'credentials_in_url'],
    ['https://token@example.com/hook', 'credentials_in_url'],
    ['https://example.com:22/hook', 'port_not_allowed'],
    ['https://example.com:25/hook', 'port_not_allowed'],
    ['https://example.com:80/hook', 'port_not_allowed'],
  ])('refuses %s (%s)', (raw, code) => {
    expect(strict.checkSyntax(raw)).toMatchObject({ ok: false, code });
  });

  it.each(['https://example.com:443/', 'https://example.com:8443/', 'https://example.com:1024/', 'https://example.com:65535/'])(
    'accepts port of %s',
    (raw) => {
      expect(strict.checkSyntax(raw).ok).toBe(true);
    },
  );

  it('accepts http and port 80 only with the loopback allowance', () => {
    expect(local.checkSyntax('http://127.0.0.1:8080/hook').ok).toBe(true);
    expect(local.checkSyntax('http://127.0.0.1/hook').ok).toBe(true);
    expect(local.checkSyntax('https://example.com:22/').ok).toBe(false);
  });
});

describe('EndpointAddressPolicy.check with literal addresses', () => {
  it.each([
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.5',
    '100.64.0.1',
    '100.127.255.255',
    '127.0.0.1',
    '127.8.9.10',
    '169.254.169.254',
    '169.254.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.168.1.1',
    '198.18.0.1',
    '198.19.255.255',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '[::]',
    '[::1]',
    '[fc00::1]',
    '[fd12:3456::1]',
    '[fe80::1]',
    '[ff02::1]',
    '[fd00:ec2::254]',
    '[::ffff:10.0.0.1]',
    '[::ffff:169.254.169.254]',
    '[::ffff:7f00:1]',
    '[64:ff9b::a9fe:a9fe]',
    '[64:ff9b::10.1.2.3]',
    '[100::1]',
  ])('refuses https://%s/', async (host) => {
    const check = await strict.check(`https://${host}/hook`);
    expect(check).toMatchObject({ ok: false, code: 'address_refused' });
  });

  it('says which range refused the address', async () => {
    const check = await strict.check('https://169.254.169.254/latest/meta-data');
    expect(check).toEqual({
      ok: false,
      code: 'address_refused',
      reason: '169.254.169.254 resolves to 169.254.169.254, a link-local (instance metadata) address (169.254.0.0/16)',
    });
  });

  it('refuses the decimal and hex spellings of loopback, which the URL parser normalises', async () => {
    await expect(strict.check('https://2130706433/')).resolves.toMatchObject({ ok: false, code: 'address_refused' });
    await expect(strict.check('https://0x7f.0.0.1/')).resolves.toMatchObject({ ok: false, code: 'address_refused' });
  });

  it.each([
    ['93.184.216.34', 4],
    ['8.8.8.8', 4],
    ['172.32.0.1', 4],
    ['100.128.0.1', 4],
    ['[2606:4700:4700::1111]', 6],
    ['[::ffff:808:808]', 6],
    ['[64:ff9b::808:808]', 6],
  ])('accepts public https://%s/ and returns it as the address to connect to', async (host, family) => {
    const check = await strict.check(`https://${host}/hook`);
    expect(check).toMatchObject({ ok: true, address: host.replace(/^\[|\]$/g, ''), family });
  });

  it('refuses localhost without a lookup, and takes it as 127.0.0.1 with the allowance', async () => {
    await expect(strict.check('https://localhost/hook')).resolves.toMatchObject({ ok: false, code: 'address_refused' });
    await expect(strict.check('https://api.localhost/hook')).resolves.toMatchObject({ ok: false, code: 'address_refused' });
    await expect(local.check('http://localhost:9000/hook')).resolves.toMatchObject({ ok: true, address: '127.0.0.1', family: 4 });
  });

  it('allows loopback only with the allowance, and still refuses the rest', async () => {
    await expect(local.check('http://127.0.0.1:9000/hook')).resolves.toMatchObject({ ok: true, address: '127.0.0.1' });
    await expect(local.check('http://[::1]:9000/hook')).resolves.toMatchObject({ ok: true, address: '::1', family: 6 });
    await expect(local.check('http://169.254.169.254/')).resolves.toMatchObject({ ok: false, code: 'address_refused' });
    await expect(local.check('http://10.0.0.1:9000/')).resolves.toMatchObject({ ok: false, code: 'address_refused' });
  });

  it('checks syntax before any address', async () => {
    await expect(strict.check('http://8.8.8.8/hook')).resolves.toMatchObject({ ok: false, code: 'scheme_not_allowed' });
  });
});
