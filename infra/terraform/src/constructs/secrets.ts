import { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface SecretsProps {
  readonly deployment: Deployment;
}

/** JSON keys of the JWT signing key secret; the API task definition maps them to JWT_PRIVATE_KEY / JWT_PUBLIC_KEY. */
export const JWT_SECRET_KEYS = { privateKey: 'privateKey', publicKey: 'publicKey' } as const;

/**
 * Secrets of the platform that Terraform creates but never knows the value
 * of. The JWT signing key (ES256, P-256) is put by an operator with the AWS
 * CLI (README: "JWT signing key"), so the private key is in no Terraform
 * state and no CI log. Rotation = put a new value and redeploy the API: the
 * key id is the key's thumbprint, so it changes with the key. The database
 * password needs nothing here: RDS keeps it in its own managed secret.
 */
export class Secrets extends Construct {
  readonly jwtSigningKey: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    const prefix = props.deployment.environment.prefix;
    this.jwtSigningKey = new SecretsmanagerSecret(this, 'jwt-signing-key', {
      name: `${prefix}/api/jwt-signing-key`,
      description:
        `ES256 key pair that signs and verifies API access tokens: JSON {"${JWT_SECRET_KEYS.privateKey}": "<PEM>", ` +
        `"${JWT_SECRET_KEYS.publicKey}": "<PEM>"}. Put by an operator, read by the API task definition.`,
      // A deleted secret can be restored for 30 days; the API cannot start without it.
      recoveryWindowInDays: 30,
    });
  }
}
