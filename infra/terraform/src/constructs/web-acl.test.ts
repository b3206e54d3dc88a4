import { environments } from '../environments';
import { ref, resourceAt, resourcesOf, synthesize, type Block } from '../testing/terraform-json';
import { AUTH_PATH_PREFIX } from './web-acl';

describe.each(environments.map((env) => [env.name, env] as const))('%s web ACL', (_name, env) => {
  const synth = synthesize(env);
  const acl = resourceAt(synth, 'aws_wafv2_web_acl', 'web-acl/web-acl');
  const rules = acl.body.rule as Block[];
  const byName = (name: string) => rules.find((rule) => rule.name === name)!;

  it('is a regional web ACL associated with the API load balancer, allowing what no rule blocks', () => {
    expect(acl.body).toMatchObject({ scope: 'REGIONAL', default_action: { allow: {} } });
    const lb = resourceAt(synth, 'aws_lb', 'api-service/load-balancer').name;
    expect(resourcesOf(synth, 'aws_wafv2_web_acl_association').map(({ body }) => body)).toEqual([
      expect.objectContaining({ resource_arn: ref('aws_lb', lb, 'arn'), web_acl_arn: ref('aws_wafv2_web_acl', acl.name, 'arn') }),
    ]);
  });

  it('rate-limits each client IP on the auth routes, before the managed rules', () => {
    const rule = byName('auth-rate-limit');
    expect(rule.action).toEqual({ block: {} });
    const statement = (rule.statement as Block).rate_based_statement as Block;
    expect(statement).toMatchObject({ aggregate_key_type: 'IP', evaluation_window_sec: 300 });
    expect(statement.limit).toBeGreaterThanOrEqual(10); // AWS's minimum
    expect((statement.scope_down_statement as Block).byte_match_statement).toMatchObject({
      search_string: AUTH_PATH_PREFIX,
      positional_constraint: 'STARTS_WITH',
      field_to_match: { uri_path: {} },
    });
    expect(AUTH_PATH_PREFIX).toBe('/v1/auth/');
    expect(rule.priority).toBeLessThan(Math.min(...rules.filter((r) => r !== rule).map((r) => r.priority as number)));
  });

  it('applies the AWS common and known-bad-inputs rule groups, counting only the 8 KB body rule', () => {
    for (const name of ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']) {
      const rule = byName(name);
      expect(rule.override_action).toEqual({ none: {} });
      expect((rule.statement as Block).managed_rule_group_statement).toMatchObject({ vendor_name: 'AWS', name });
    }
    const common = (byName('AWSManagedRulesCommonRuleSet').statement as Block).managed_rule_group_statement as Block;
    expect(common.rule_action_override).toEqual([{ name: 'SizeRestrictions_BODY', action_to_use: { count: {} } }]);
    expect(
      ((byName('AWSManagedRulesKnownBadInputsRuleSet').statement as Block).managed_rule_group_statement as Block).rule_action_override,
    ).toBeUndefined();
  });

  it('publishes metrics and sampled requests for the ACL and every rule', () => {
    for (const config of [acl.body.visibility_config, ...rules.map((rule) => rule.visibility_config)]) {
      expect(config).toMatchObject({ cloudwatch_metrics_enabled: true, sampled_requests_enabled: true, metric_name: expect.any(String) });
    }
  });
});
