import { buckets } from '@memberships/core/contract';
import { Fn, TerraformLocal, TerraformVariable, Token } from 'cdktn';
import { Construct } from 'constructs';

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>` followed by `:<tag>` or `@sha256:<digest>`. */
export const ECR_IMAGE_PATTERN =
  '^([0-9]{12})[.]dkr[.]ecr[.]([a-z0-9-]+)[.]amazonaws[.]com/([a-z0-9._/-]+)(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$';

/** Written without backslashes on purpose: cdktn passes function arguments to HCL unescaped. */
const DNS_NAME_PATTERN = '^([a-z0-9-]+[.])+[a-z]{2,}$';
/** A positive integer, as the key version variables take it. */
const VERSION_PATTERN = '^[1-9][0-9]{0,8}$';
/** 1 to 365, as a pattern so every variable keeps one validation shape: 1–9, 10–99, 100–299, 300–359, 360–365. */
const DAYS_1_TO_365_PATTERN = '^([1-9]|[1-9][0-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-5])$';

/**
 * What a team supplies per deployment, as Terraform variables (`-var` or a
 * `*.tfvars` file), so the synthesized JSON carries no account data. Each
 * variable keeps a plain name (`api_image`, not a hashed construct path).
 */
export class PlatformInputs extends Construct {
  /** The AWS account the stack may touch; the provider refuses any other. */
  readonly awsAccountId: string;
  /** Public host name of the API, e.g. api.memberships.example.com. */
  readonly apiDomainName: string;
  /** Route 53 hosted zone that holds apiDomainName and emailDomain. */
  readonly hostedZoneId: string;
  /** Domain SES sends from (verified with DKIM), e.g. memberships.example.com. */
  readonly emailDomain: string;
  /** From address of export emails, on emailDomain. */
  readonly sesFromAddress: string;
  /** Container image of the API (ECR URI with tag or digest). */
  readonly apiImage: string;
  /** Container image of the worker (ECR URI with tag or digest). */
  readonly workerImage: string;
  /** Where alarm notifications go; empty: only the SNS topic (subscribe later). */
  readonly alarmEmail: string;
  /** Where DMARC aggregate reports for emailDomain go; empty: none requested. */
  readonly dmarcReportAddress: string;
  /** Version of the JWT signing key; raising it makes the next apply generate and store a new key. */
  readonly jwtSigningKeyVersion: number;
  /** Version of the link signing key; raising it makes the next apply generate and store a new key. */
  readonly linkSigningKeyVersion: number;
  /**
   * Days an export file is kept: the export bucket's lifecycle expiration and both services'
   * FILE_RETENTION_DAYS (the emailed link's lifetime), from this one variable so they cannot drift.
   * The variable's string: what an environment variable takes (`Token.asNumber` of it where a number is needed).
   */
  readonly exportFileRetentionDays: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.awsAccountId = variable(this, 'aws_account_id', {
      description: 'AWS account id (12 digits) this environment is deployed to; the provider refuses any other account.',
      pattern: '^[0-9]{12}$',
      errorMessage: 'aws_account_id must be a 12-digit AWS account id.',
    });
    this.apiDomainName = variable(this, 'api_domain_name', {
      description: 'Public host name of the API, e.g. api.memberships.example.com (gets an ACM certificate and an alias record).',
      pattern: DNS_NAME_PATTERN,
      errorMessage: 'api_domain_name must be a lower-case DNS name such as api.memberships.example.com.',
    });
    this.hostedZoneId = variable(this, 'hosted_zone_id', {
      description: 'Route 53 public hosted zone id that contains api_domain_name and email_domain.',
      pattern: '^Z[A-Z0-9]+$',
      errorMessage: 'hosted_zone_id must be a Route 53 hosted zone id (Z...).',
    });
    this.emailDomain = variable(this, 'email_domain', {
      description: 'Domain the export emails are sent from; becomes an SES identity verified with DKIM records in hosted_zone_id.',
      pattern: DNS_NAME_PATTERN,
      errorMessage: 'email_domain must be a lower-case DNS name such as memberships.example.com.',
    });
    this.sesFromAddress = variable(this, 'ses_from_address', {
      description: 'From address of export emails; must be on email_domain, e.g. exports@memberships.example.com.',
      pattern: '^[^@ ]+@([a-z0-9-]+[.])+[a-z]{2,}$',
      errorMessage: 'ses_from_address must be an email address.',
    });
    this.apiImage = variable(this, 'api_image', {
      description: 'API container image in Amazon ECR, e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/memberships-api:<git sha>.',
      pattern: ECR_IMAGE_PATTERN,
      errorMessage: 'api_image must be an ECR image URI with a tag or digest.',
    });
    this.workerImage = variable(this, 'worker_image', {
      description:
        'Worker container image in Amazon ECR, e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/memberships-worker:<git sha>.',
      pattern: ECR_IMAGE_PATTERN,
      errorMessage: 'worker_image must be an ECR image URI with a tag or digest.',
    });
    this.alarmEmail = variable(this, 'alarm_email', {
      description: 'Email address subscribed to the alarm topic (confirm the subscription email). Empty: no subscription.',
      default: '',
      pattern: '^$|^[^@ ]+@[^@ ]+$',
      errorMessage: 'alarm_email must be empty or an email address.',
    });
    this.dmarcReportAddress = variable(this, 'dmarc_report_address', {
      description:
        'Address receivers send DMARC aggregate reports for email_domain to (rua). On another domain, that domain must authorize it. Empty: no reports.',
      default: '',
      pattern: '^$|^[^@ ;,]+@([a-z0-9-]+[.])+[a-z]{2,}$',
      errorMessage: 'dmarc_report_address must be empty or an email address.',
    });
    // A string like the others (one validation shape for every variable); Terraform converts it where a number is needed.
    this.jwtSigningKeyVersion = Token.asNumber(
      variable(this, 'jwt_signing_key_version', {
        description: 'Version of the JWT signing key. Raise it (2, 3...) to have the next apply generate and store a new key pair.',
        default: '1',
        pattern: VERSION_PATTERN,
        errorMessage: 'jwt_signing_key_version must be a positive integer.',
      }),
    );
    this.linkSigningKeyVersion = Token.asNumber(
      variable(this, 'link_signing_key_version', {
        description:
          'Version of the key that signs the emailed download links. Raise it (2, 3...) to have the next apply store a new key; ' +
          'links signed with the old one keep working until the next raise, so raise it at most once per export_file_retention_days.',
        default: '1',
        pattern: VERSION_PATTERN,
        errorMessage: 'link_signing_key_version must be a positive integer.',
      }),
    );
    this.exportFileRetentionDays = variable(this, 'export_file_retention_days', {
      description:
        'Days an export file is kept: the export bucket expires files after this many days, and the services make emailed links last as long.',
      default: String(buckets.exportFiles.expireAfterDays),
      pattern: DAYS_1_TO_365_PATTERN,
      errorMessage: 'export_file_retention_days must be a whole number of days from 1 to 365.',
    });
  }
}

/**
 * The ECR repository ARN an image URI points at, computed by Terraform from
 * the variable (one local per image), so an execution role can pull exactly
 * that repository and nothing else.
 */
export function ecrRepositoryArn(scope: Construct, id: string, image: string, partition: string): string {
  const parts = new TerraformLocal(scope, id, Fn.regex(ECR_IMAGE_PATTERN, image));
  return Fn.format('arn:%s:ecr:%s:%s:repository/%s', [
    partition,
    Fn.element(parts.asList, 1),
    Fn.element(parts.asList, 0),
    Fn.element(parts.asList, 2),
  ]);
}

function variable(
  scope: Construct,
  name: string,
  options: { description: string; pattern: string; errorMessage: string; default?: string },
): string {
  const v = new TerraformVariable(scope, name, {
    type: 'string',
    description: options.description,
    nullable: false,
    ...(options.default !== undefined ? { default: options.default } : {}),
  });
  // Stable names: a team passes `-var api_image=...`, not a hashed construct path.
  v.overrideLogicalId(name);
  v.addValidation({ condition: Fn.can(Fn.regex(options.pattern, v.stringValue)), errorMessage: options.errorMessage });
  return Token.asString(v.stringValue);
}
