import { Route53Record } from '@cdktn/provider-aws/lib/route53-record';
import { Sesv2ConfigurationSet } from '@cdktn/provider-aws/lib/sesv2-configuration-set';
import { Sesv2EmailIdentity } from '@cdktn/provider-aws/lib/sesv2-email-identity';
import { Sesv2EmailIdentityMailFromAttributes } from '@cdktn/provider-aws/lib/sesv2-email-identity-mail-from-attributes';
import { Fn } from 'cdktn';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface EmailProps {
  readonly deployment: Deployment;
  /** Domain the exports are sent from (the `email_domain` variable). */
  readonly domain: string;
  readonly hostedZoneId: string;
}

/** Easy DKIM always publishes three selector tokens. */
const DKIM_TOKEN_COUNT = 3;

/**
 * The SES side of delivery: a domain identity verified by Easy DKIM (2048-bit
 * keys, three CNAMEs in the hosted zone), a custom MAIL FROM subdomain so SPF
 * aligns with the From domain, and a configuration set that requires TLS to
 * the receiving server and suppresses addresses that bounced or complained.
 * The worker sends with this configuration set (SES_CONFIGURATION_SET).
 * Leaving the SES sandbox is an account request AWS has to approve (see the
 * README); until then SES only delivers to verified addresses.
 */
export class Email extends Construct {
  readonly identity: Sesv2EmailIdentity;
  readonly configurationSet: Sesv2ConfigurationSet;

  constructor(scope: Construct, id: string, props: EmailProps) {
    super(scope, id);
    const { deployment } = props;

    this.configurationSet = new Sesv2ConfigurationSet(this, 'configuration-set', {
      configurationSetName: `${deployment.environment.prefix}-exports`,
      deliveryOptions: { tlsPolicy: 'REQUIRE' },
      reputationOptions: { reputationMetricsEnabled: true },
      sendingOptions: { sendingEnabled: true },
      suppressionOptions: { suppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });

    this.identity = new Sesv2EmailIdentity(this, 'identity', {
      emailIdentity: props.domain,
      configurationSetName: this.configurationSet.configurationSetName,
      dkimSigningAttributes: { nextSigningKeyLength: 'RSA_2048_BIT' },
    });

    for (let index = 0; index < DKIM_TOKEN_COUNT; index += 1) {
      const token = Fn.element(this.identity.dkimSigningAttributes.tokens, index);
      new Route53Record(this, `dkim-record-${index}`, {
        zoneId: props.hostedZoneId,
        name: `${token}._domainkey.${props.domain}`,
        type: 'CNAME',
        ttl: 1800,
        records: [`${token}.dkim.amazonses.com`],
      });
    }

    const mailFromDomain = `mail.${props.domain}`;
    new Sesv2EmailIdentityMailFromAttributes(this, 'mail-from', {
      emailIdentity: this.identity.emailIdentity,
      mailFromDomain,
      // Until the MX record resolves SES falls back to amazonses.com instead of refusing to send.
      behaviorOnMxFailure: 'USE_DEFAULT_VALUE',
    });
    new Route53Record(this, 'mail-from-mx-record', {
      zoneId: props.hostedZoneId,
      name: mailFromDomain,
      type: 'MX',
      ttl: 1800,
      records: [`10 feedback-smtp.${deployment.region}.amazonses.com`],
    });
    new Route53Record(this, 'mail-from-spf-record', {
      zoneId: props.hostedZoneId,
      name: mailFromDomain,
      type: 'TXT',
      ttl: 1800,
      records: ['v=spf1 include:amazonses.com ~all'],
    });
  }

  get identityArn(): string {
    return this.identity.arn;
  }

  get configurationSetArn(): string {
    return this.configurationSet.arn;
  }
}
