import { AcmCertificate } from '@cdktn/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktn/provider-aws/lib/acm-certificate-validation';
import type { Lb } from '@cdktn/provider-aws/lib/lb';
import { Route53Record } from '@cdktn/provider-aws/lib/route53-record';
import { TerraformIterator, Token } from 'cdktn';
import { Construct } from 'constructs';

export interface DnsProps {
  readonly apiDomainName: string;
  readonly hostedZoneId: string;
}

/**
 * The API's name in Route 53 and its TLS certificate: an ACM certificate
 * validated by DNS records Terraform writes into the same hosted zone (ACM
 * renews it on its own as long as those records stay), and an alias record
 * pointing the name at the load balancer.
 */
export class Dns extends Construct {
  readonly certificate: AcmCertificate;
  /** The certificate ARN once ACM has issued it: the HTTPS listener waits for this. */
  readonly validatedCertificateArn: string;
  private readonly props: DnsProps;

  constructor(scope: Construct, id: string, props: DnsProps) {
    super(scope, id);
    this.props = props;

    this.certificate = new AcmCertificate(this, 'certificate', {
      domainName: props.apiDomainName,
      validationMethod: 'DNS',
      lifecycle: { createBeforeDestroy: true },
    });

    const options = TerraformIterator.fromComplexList(this.certificate.domainValidationOptions, 'domain_name');
    const validationRecords = new Route53Record(this, 'certificate-validation-record', {
      forEach: options,
      zoneId: props.hostedZoneId,
      name: options.getString('resource_record_name'),
      type: options.getString('resource_record_type'),
      records: [options.getString('resource_record_value')],
      ttl: 300,
      allowOverwrite: true,
    });

    const validation = new AcmCertificateValidation(this, 'certificate-validation', {
      certificateArn: this.certificate.arn,
      validationRecordFqdns: Token.asList(TerraformIterator.fromResources(validationRecords).pluckProperty('fqdn')),
    });
    this.validatedCertificateArn = validation.certificateArn;
  }

  /** The API's public name → the load balancer (alias A record, no TTL to manage). */
  addApiAlias(loadBalancer: Lb): Route53Record {
    return new Route53Record(this, 'api-alias-record', {
      zoneId: this.props.hostedZoneId,
      name: this.props.apiDomainName,
      type: 'A',
      alias: { name: loadBalancer.dnsName, zoneId: loadBalancer.zoneId, evaluateTargetHealth: true },
    });
  }
}
