import { createHmac } from 'node:crypto';

/**
 * The `Memberships-Signature` header of a webhook request:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, one `v1`
 * per secret that still signs (the current one, then the previous one while
 * it is valid after a rotation), so a receiver that has not yet swapped in the
 * new secret keeps verifying. The timestamp is signed with the body, so a
 * captured request replayed later fails the receiver's tolerance check
 * (SIGNATURE_TOLERANCE_SECONDS). The key is the whole secret string
 * (`whsec_…`) as UTF-8, which any receiver's HMAC can take as it is.
 */

/** The hex HMAC-SHA256 of `"<t>.<payload>"` under `secret`. */
export function signaturePart(payload: string, secret: string, t: number): string {
  return createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex');
}

/** The header value for `payload` sent at unix second `t`, signed with each of `secrets` (current first). */
export function signatureHeader(payload: string, secrets: readonly string[], t: number): string {
  if (secrets.length === 0) throw new Error('a webhook is signed with at least one secret');
  return [`t=${t}`, ...secrets.map((secret) => `v1=${signaturePart(payload, secret, t)}`)].join(',');
}
