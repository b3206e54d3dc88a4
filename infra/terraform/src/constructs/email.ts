import { Route53Record } from '@cdktn/provider-aws/lib/route53-record';
import { Sesv2ConfigurationSet } from '@cdktn/provider-aws/lib/sesv2-configuration-set';
import { Sesv2EmailIdentity } from '@cdktn/provider-aws/lib/sesv2-email-identity';
import { Sesv2EmailIdentityMailFromAttributes } from '@cdktn/provider-aws/lib/sesv2-email-identity-mail-from-attributes';
import { Fn, Op } from 'cdktn';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface EmailProps {
  readonly deployment: Deployment;
  /** Domain the exports are sent from (the `email_domain` variable). */
  readonly domain: string;
  readonly hostedZoneId: string;
  /** Where receivers send DMARC aggregate reports (the `dmarc_report_address` variable); empty for none. */
  readonly dmarcReportAddress: string;
}

/**
 * The DMARC policy published for the email domain. Export emails pass DMARC
 * twice over: Easy DKIM signs as the domain and the MAIL FROM subdomain aligns
 * SPF (relaxed alignment). `quarantine`, not `reject`: the domain may also
 * carry mail the team sends elsewhere; spoofed or misaligned mail then lands
 * in spam instead of bouncing, and the reports show who sends as the domain
 * before anyone tightens it to `reject`.
 * https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-dmarc.html
 */
export const DMARC_POLICY = 'v=DMARC1; p=quarantine; pct=100';

/** Easy DKIM always publishes three selector tokens. */
const DKIM_TOKEN_COUNT = 3;

/**
 * The SES side of delivery: a domain identity verified by Easy DKIM (2048-bit
 * keys, three CNAMEs in the hosted zone), a custom MAIL FROM subdomain so SPF
 * aligns with the From domain, a DMARC record (DMARC_POLICY), and a configuration set that requires TLS to
 * the receiving server and suppresses addresses that bounced or complained.
 * The worker sends with this configuration set (SES_CONFIGURATION_SET).
 * Leaving the SES sandbox is an account request AWS has to approve (see the
 * README); until then SES only delivers to verified addresses.
 */
export class Email extends Construct {
  readonly identity: Sesv2EmailIdentity;
  readonly configurationSet: Sesv2ConfigurationSet;
  readonly dmarcRecord: Route53Record;

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

    // A report address on another domain receives reports only if that domain authorizes it (RFC 7489 §7.1).
    const reports = Fn.conditional(Op.eq(props.dmarcReportAddress, ''), '', `; rua=mailto:${props.dmarcReportAddress}`);
    this.dmarcRecord = new Route53Record(this, 'dmarc-record', {
      zoneId: props.hostedZoneId,
      name: `_dmarc.${props.domain}`,
      type: 'TXT',
      ttl: 1800,
      records: [`${DMARC_POLICY}${reports}`],
    });

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
