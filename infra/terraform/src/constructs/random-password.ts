import { TerraformEphemeralResource, TerraformProvider } from 'cdktn';
import type { Construct } from 'constructs';

/**
 * hashicorp/random 3.7 is the first release with the ephemeral `random_password`.
 * https://registry.terraform.io/providers/hashicorp/random/latest/docs/ephemeral-resources/password
 */
export const RANDOM_PROVIDER_VERSION = '~> 3.7';

/**
 * The hashicorp/random provider, declared by hand like TlsProvider: there are
 * no cdktn bindings for it here, and it needs no configuration, only its
 * entry in `required_providers`.
 */
export class RandomProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: 'random',
      terraformProviderSource: 'hashicorp/random',
      terraformGeneratorMetadata: { providerName: 'random', providerVersionConstraint: RANDOM_PROVIDER_VERSION },
    });
  }
}

export interface EphemeralPasswordOptions {
  readonly length: number;
  /** Letters and digits only when false: the value travels in JSON and in HMAC code untouched. */
  readonly special: boolean;
}

/**
 * `ephemeral "random_password"`: a value generated anew in every plan and
 * apply and never written to the plan or the state. Only write-only
 * attributes (and other ephemeral contexts) may consume it.
 */
export class EphemeralRandomPassword extends TerraformEphemeralResource {
  constructor(
    scope: Construct,
    id: string,
    provider: RandomProvider,
    private readonly options: EphemeralPasswordOptions,
  ) {
    super(scope, id, { terraformResourceType: 'random_password', provider });
  }

  get result(): string {
    return this.getStringAttribute('result');
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { length: this.options.length, special: this.options.special };
  }
}
