import { TerraformEphemeralResource, TerraformProvider } from 'cdktn';
import type { Construct } from 'constructs';

/**
 * hashicorp/tls 4.1 is the first release with the ephemeral `tls_private_key`.
 * https://registry.terraform.io/providers/hashicorp/tls/latest/docs/ephemeral-resources/private_key
 */
export const TLS_PROVIDER_VERSION = '~> 4.1';

/**
 * The hashicorp/tls provider, declared by hand: there are no cdktn bindings
 * for it here, and it needs no configuration, only its entry in
 * `required_providers`.
 */
export class TlsProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: 'tls',
      terraformProviderSource: 'hashicorp/tls',
      terraformGeneratorMetadata: { providerName: 'tls', providerVersionConstraint: TLS_PROVIDER_VERSION },
    });
  }
}

/**
 * `ephemeral "tls_private_key"`: a key generated anew in every plan and
 * apply and never written to the plan or the state. Only write-only
 * attributes (and other ephemeral contexts) may consume its values.
 */
export class EphemeralEcdsaP256Key extends TerraformEphemeralResource {
  constructor(scope: Construct, id: string, provider: TlsProvider) {
    super(scope, id, { terraformResourceType: 'tls_private_key', provider });
  }

  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"), which node:crypto's createPrivateKey reads. */
  get privateKeyPemPkcs8(): string {
    return this.getStringAttribute('private_key_pem_pkcs8');
  }

  /** SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), which createPublicKey reads. */
  get publicKeyPem(): string {
    return this.getStringAttribute('public_key_pem');
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { algorithm: 'ECDSA', ecdsa_curve: 'P256' };
  }
}
