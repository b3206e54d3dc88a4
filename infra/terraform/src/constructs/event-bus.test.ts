import { EVENT_SOURCE, eventBus, resourceNames } from '@memberships/core/contract';
import { environments } from '../environments';
import { documentName, policyDocuments, ref, resourceAt, synthesize } from '../testing/terraform-json';
import { EXAMPLE_RULE_DETAIL_TYPE } from './event-bus';

describe.each(environments.map((env) => [env.name, env] as const))('%s event bus', (_name, env) => {
  const synth = synthesize(env);
  const bus = resourceAt(synth, 'aws_cloudwatch_event_bus', 'event-bus/bus');
  const busName = ref('aws_cloudwatch_event_bus', bus.name, 'name');
  const logGroup = resourceAt(synth, 'aws_cloudwatch_log_group', 'event-bus/export-failures-log-group');
  const rule = resourceAt(synth, 'aws_cloudwatch_event_rule', 'event-bus/export-failures-rule');

  it("is named from core's resource names, as the worker's EVENT_BUS_NAME is", () => {
    expect(bus.body.name).toBe(resourceNames(env.prefix).eventBus);
  });

  it("archives every completion event of the bus for core's retention", () => {
    const archive = resourceAt(synth, 'aws_cloudwatch_event_archive', 'event-bus/archive').body;
    expect(archive).toMatchObject({
      event_source_arn: ref('aws_cloudwatch_event_bus', bus.name, 'arn'),
      retention_days: eventBus.archiveRetentionDays,
    });
    expect(JSON.parse(String(archive.event_pattern))).toEqual({ source: [EVENT_SOURCE] });
  });

  it('has an example rule on the bus sending failed exports to a log group with a retention', () => {
    expect(rule.body.event_bus_name).toBe(busName);
    expect(JSON.parse(String(rule.body.event_pattern))).toEqual({ source: [EVENT_SOURCE], 'detail-type': [EXAMPLE_RULE_DETAIL_TYPE] });
    expect(logGroup.body).toMatchObject({ name: `/memberships/${env.name}/export-failures`, retention_in_days: env.logRetentionDays });
    const target = resourceAt(synth, 'aws_cloudwatch_event_target', 'event-bus/export-failures-target').body;
    expect(target).toMatchObject({
      rule: ref('aws_cloudwatch_event_rule', rule.name, 'name'),
      event_bus_name: busName,
      arn: ref('aws_cloudwatch_log_group', logGroup.name, 'arn'),
    });
    // CloudWatch Logs targets are authorised by the log group's resource policy; a role here makes delivery fail.
    expect(target.role_arn).toBeUndefined();
  });

  it('lets EventBridge write to that log group only, through a CloudWatch Logs resource policy', () => {
    const policy = resourceAt(synth, 'aws_cloudwatch_log_resource_policy', 'event-bus/export-failures-log-policy').body;
    const statements = policyDocuments(synth).get(documentName(policy.policy_document)!)!;
    expect(statements).toEqual([
      expect.objectContaining({
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        principals: [{ type: 'Service', identifiers: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] }],
        resources: [`${ref('aws_cloudwatch_log_group', logGroup.name, 'arn')}:*`],
      }),
    ]);
  });
});
