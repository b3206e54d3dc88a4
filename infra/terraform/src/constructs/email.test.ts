import { environments } from '../environments';
import { resourceAt, synthesize } from '../testing/terraform-json';

describe.each(environments.map((env) => [env.name, env] as const))('%s DMARC', (_name, env) => {
  const synth = synthesize(env);

  it('publishes a quarantine policy at _dmarc.<email domain>, beside the DKIM records, with reports when an address is given', () => {
    const record = resourceAt(synth, 'aws_route53_record', 'email/dmarc-record').body;
    expect(record).toMatchObject({ name: '_dmarc.${var.email_domain}', type: 'TXT', zone_id: '${var.hosted_zone_id}' });
    const [value] = record.records as string[];
    expect(value).toMatch(/^v=DMARC1; p=quarantine; pct=100/);
    expect(value).toContain('(var.dmarc_report_address == "") ? "" : "; rua=mailto:${var.dmarc_report_address}"');
    const dkim = resourceAt(synth, 'aws_route53_record', 'email/dkim-record-0').body;
    expect(record.zone_id).toBe(dkim.zone_id);
  });
});
