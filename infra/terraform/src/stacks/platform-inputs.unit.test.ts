import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TerraformOutput, TerraformStack, Testing } from 'cdktn';
import { environments } from '../environments';
import { ECR_IMAGE_PATTERN, ecrRepositoryArn, PlatformInputs } from './platform-inputs';

/**
 * The variables' validation runs in Terraform (RE2); the patterns are plain
 * enough to mean the same in JavaScript, so their behaviour is checked here
 * on the values a team would pass.
 */
function validationPatterns(): Record<string, RegExp> {
  const stack = new TerraformStack(Testing.app(), 'inputs');
  new PlatformInputs(stack, 'inputs');
  const variables = JSON.parse(Testing.synth(stack)).variable as Record<string, { validation: { condition: string }[] }>;
  return Object.fromEntries(
    Object.entries(variables).map(([name, variable]) => {
      const match = /^\$\{can\(regex\("(.*)", var\.[a-z_]+\)\)\}$/.exec(variable.validation[0]!.condition);
      if (!match) throw new Error(`unexpected validation of ${name}: ${variable.validation[0]!.condition}`);
      return [name, new RegExp(match[1]!)];
    }),
  );
}

describe('PlatformInputs', () => {
  const patterns = validationPatterns();

  it('declares every input a team provides, under its plain name', () => {
    expect(Object.keys(patterns).sort()).toEqual(
      [
        'alarm_email',
        'api_domain_name',
        'api_image',
        'aws_account_id',
        'dmarc_report_address',
        'email_domain',
        'export_file_retention_days',
        'hosted_zone_id',
        'jwt_signing_key_version',
        'link_signing_key_version',
        'ses_from_address',
        'worker_image',
      ].sort(),
    );
  });

  it.each([
    ['aws_account_id', ['123456789012'], ['12345678901', '1234567890123', 'abc']],
    [
      'api_domain_name',
      ['api.memberships.example.com', 'api.staging.example.co.uk'],
      ['API.example.com', 'localhost', 'https://api.example.com'],
    ],
    ['hosted_zone_id', ['Z0123456789ABCDEFGHIJ'], ['0123', 'z123']],
    ['email_domain', ['memberships.example.com'], ['exports@memberships.example.com']],
    ['ses_from_address', ['exports@memberships.example.com'], ['exports', 'a b@example.com']],
    ['alarm_email', ['', 'oncall@example.com'], ['oncall']],
    // Spliced into the DMARC record after `rua=mailto:`: no separators that would start another tag.
    ['dmarc_report_address', ['', 'dmarc@reports.example.com'], ['dmarc', 'a@b.com; p=none', 'a@b.com,c@d.com']],
    ['jwt_signing_key_version', ['1', '12'], ['0', '-1', '1.5', '']],
    ['link_signing_key_version', ['1', '12'], ['0', '-1', '1.5', '']],
    // The bucket's lifecycle takes whole days; a year is the most an emailed link should promise.
    [
      'export_file_retention_days',
      ['1', '7', '9', '10', '99', '100', '299', '300', '359', '360', '365'],
      ['0', '366', '370', '400', '999', '1000', '07', '-1', '7.5', ''],
    ],
    [
      'api_image',
      [
        '123456789012.dkr.ecr.eu-central-1.amazonaws.com/memberships-api:3f2c1ab',
        `123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/memberships-api@sha256:${'a'.repeat(64)}`,
      ],
      ['node:22', 'ghcr.io/acme/memberships-api:1', '123456789012.dkr.ecr.eu-central-1.amazonaws.com/memberships-api'],
    ],
  ])('%s accepts what it should and refuses the rest', (name, good, bad) => {
    for (const value of good) expect({ value, valid: patterns[name]!.test(value) }).toEqual({ value, valid: true });
    for (const value of bad) expect({ value, valid: patterns[name]!.test(value) }).toEqual({ value, valid: false });
  });

  it.each(environments.map((env) => env.name))('tfvars/%s.tfvars.example sets every input to a value the validation accepts', (name) => {
    const file = readFileSync(path.join(__dirname, '..', '..', 'tfvars', `${name}.tfvars.example`), 'utf8');
    const values = Object.fromEntries([...file.matchAll(/^([a-z_]+)\s*=\s*"([^"]*)"\s*$/gm)].map((m) => [m[1]!, m[2]!] as const));
    expect(Object.keys(values).sort()).toEqual(Object.keys(patterns).sort());
    for (const [variable, value] of Object.entries(values)) {
      expect({ variable, value, valid: patterns[variable]!.test(value) }).toEqual({ variable, value, valid: true });
    }
  });

  it('derives the ECR repository ARN from the capture groups the way the image URI orders them', () => {
    const stack = new TerraformStack(Testing.app(), 'arn');
    new TerraformOutput(stack, 'arn', { value: ecrRepositoryArn(stack, 'image_parts', 'IMAGE', 'aws') });
    const expression = JSON.parse(Testing.synth(stack)).output.arn.value as string;
    const indexes = [...expression.matchAll(/element\(local\.image_parts, (\d)\)/g)].map((m) => Number(m[1]));
    const groups = new RegExp(ECR_IMAGE_PATTERN).exec('123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/memberships-api:v1')!.slice(1);
    const [region, account, repository] = indexes.map((i) => groups[i]);
    expect(`arn:aws:ecr:${region}:${account}:repository/${repository}`).toBe(
      'arn:aws:ecr:eu-central-1:123456789012:repository/team/memberships-api',
    );
  });
});
