import { clientAddressKey } from './client-address';
import { accountKey, addressKey } from './login-throttle';

describe('clientAddressKey', () => {
  it('counts an IPv4 address as itself', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey(' 203.0.113.7 ')).toBe('203.0.113.7');
  });

  it('counts an IPv6 address by its /64 network, however it is written', () => {
    const network = '2001:db8:85a3:8d3::/64';
    expect(clientAddressKey('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe(network);
    expect(clientAddressKey('2001:0DB8:85A3:08D3:ffff:ffff:ffff:ffff')).toBe(network);
    expect(clientAddressKey('2001:db8:85a3:8d3::1')).toBe(network);
    expect(clientAddressKey('2001:db8:85a3:8d3::1%eth0')).toBe(network);
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:cb00:7107')).toBe('203.0.113.7');
  });

  it('keeps anything else as given, lower-cased', () => {
    expect(clientAddressKey('Unknown-Peer')).toBe('unknown-peer');
  });
});

describe('login attempt keys', () => {
  it('key an account by a hash of its normalised email, not by the address itself', () => {
    expect(accountKey(' Someone@Example.COM ')).toBe(accountKey('someone@example.com'));
    expect(accountKey('someone@example.com')).toMatch(/^account#[A-Za-z0-9_-]{43}$/);
    expect(accountKey('someone@example.com')).not.toContain('example');
  });

  it('key a client by its address unit', () => {
    expect(addressKey('2001:db8:85a3:8d3::1')).toBe('address#2001:db8:85a3:8d3::/64');
  });
});
