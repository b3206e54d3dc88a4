import { Wafv2WebAcl } from '@cdktn/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktn/provider-aws/lib/wafv2-web-acl-association';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface WebAclProps {
  readonly deployment: Deployment;
  /** ARN of the API's load balancer, the one resource the web ACL protects. */
  readonly loadBalancerArn: string;
}

/** Path prefix of the login and refresh routes (services/api registers them under it). */
export const AUTH_PATH_PREFIX = '/v1/auth/';
/**
 * Requests per client IP per 5 minutes to the auth routes. Access tokens live
 * 5 minutes, so every active client refreshes about once per window: this
 * leaves room for several hundred clients behind one office NAT. It is a
 * flood guard in front of the API; failed logins are limited more tightly per
 * account and per address by the API itself (LoginThrottle).
 */
export const AUTH_REQUESTS_PER_IP_PER_FIVE_MINUTES = 1000;
/** The rate-based rule's window; 300 s is AWS's default. */
const RATE_WINDOW_SECONDS = 300;

/**
 * The AWS managed rule groups in front of the API, by rule name (also their
 * metric names).
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
 */
export const MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const;

/**
 * The common rule set's SizeRestrictions_BODY blocks bodies over 8 KB. The
 * API's bodies are a few hundred bytes (credentials, an export request, a
 * schedule), but an administrator's user document may carry a profile of up
 * to 50 properties, and the API itself accepts 16 KB (BODY_LIMIT_BYTES in
 * services/api/src/app.ts) and answers a larger body with its own 413
 * problem+json. So that one rule only counts (its metric still shows large
 * bodies) and the API's limit is the one enforced.
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html#aws-managed-rule-groups-baseline-crs
 */
export const COUNTED_COMMON_RULES = ['SizeRestrictions_BODY'] as const;

/**
 * AWS WAF on the API's load balancer (REGIONAL scope, the ALB's region): a
 * rate limit per client IP on the auth routes first, then AWS's common rule
 * set and known-bad-inputs group. Everything else is allowed; every rule
 * publishes CloudWatch metrics and keeps sampled requests, so a block can be
 * explained from the console.
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html
 */
export class WebAcl extends Construct {
  readonly webAcl: Wafv2WebAcl;
  readonly association: Wafv2WebAclAssociation;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const prefix = props.deployment.environment.prefix;
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

    this.webAcl = new Wafv2WebAcl(this, 'web-acl', {
      name: `${prefix}-api`,
      description: `In front of the ${prefix} API load balancer.`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${prefix}-api`),
      rule: [
        {
          name: 'auth-rate-limit',
          priority: 0,
          action: { block: {} },
          // `statement` is untyped in the bindings: written as Terraform's JSON (snake_case blocks).
          statement: {
            rate_based_statement: {
              limit: AUTH_REQUESTS_PER_IP_PER_FIVE_MINUTES,
              evaluation_window_sec: RATE_WINDOW_SECONDS,
              // The ALB is the client's first hop, so the source address is the client's.
              aggregate_key_type: 'IP',
              scope_down_statement: {
                byte_match_statement: {
                  search_string: AUTH_PATH_PREFIX,
                  positional_constraint: 'STARTS_WITH',
                  field_to_match: { uri_path: {} },
                  text_transformation: [{ priority: 0, type: 'NONE' }],
                },
              },
            },
          },
          visibilityConfig: visibility('auth-rate-limit'),
        },
        ...MANAGED_RULE_GROUPS.map((name, index) => ({
          name,
          priority: 10 * (index + 1),
          overrideAction: { none: {} },
          statement: {
            managed_rule_group_statement: {
              vendor_name: 'AWS',
              name,
              ...(name === 'AWSManagedRulesCommonRuleSet'
                ? { rule_action_override: COUNTED_COMMON_RULES.map((rule) => ({ name: rule, action_to_use: { count: {} } })) }
                : {}),
            },
          },
          visibilityConfig: visibility(name),
        })),
      ],
    });

    this.association = new Wafv2WebAclAssociation(this, 'association', {
      resourceArn: props.loadBalancerArn,
      webAclArn: this.webAcl.arn,
    });
  }
}
