import { createHmac, createPrivateKey, generateKeyPairSync, sign as signWith } from 'node:crypto';

/** A fresh ES256 (P-256) key pair as PEM, like the ones JWT_PRIVATE_KEY / JWT_PUBLIC_KEY hold. */
export function generateSigningKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Builds a JWT by hand, independently of the library under test, so tests can
 * forge the tokens an attacker would send (foreign keys, other audiences,
 * `alg: none`, HMAC with the public key...).
 */
export function forgeJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: { alg: 'ES256'; key: string } | { alg: 'HS256'; secret: string } | { alg: 'none' },
): string {
  const input = `${segment(header)}.${segment(payload)}`;
  switch (signer.alg) {
    case 'ES256': {
      // JWS wants the raw r||s form of the ECDSA signature, not DER.
      const signature = signWith('sha256', Buffer.from(input), { key: createPrivateKey(signer.key), dsaEncoding: 'ieee-p1363' });
      return `${input}.${signature.toString('base64url')}`;
    }
    case 'HS256': {
      return `${input}.${createHmac('sha256', signer.secret).update(input).digest('base64url')}`;
    }
    case 'none':
      return `${input}.`;
  }
}

/** Decodes a JWT's header and payload without verifying it. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}
