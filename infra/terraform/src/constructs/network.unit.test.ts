import { resourceNames } from '@memberships/core/contract';
import { TerraformStack, Testing } from 'cdktn';
import { staging } from '../environments';
import type { Deployment } from './deployment';
import { Network, subnetCidr } from './network';

describe('subnetCidr', () => {
  it('cuts consecutive /20 subnets out of a /16', () => {
    expect(subnetCidr('10.40.0.0/16', 20, 0)).toBe('10.40.0.0/20');
    expect(subnetCidr('10.40.0.0/16', 20, 1)).toBe('10.40.16.0/20');
    expect(subnetCidr('10.40.0.0/16', 20, 8)).toBe('10.40.128.0/20');
    expect(subnetCidr('10.40.0.0/16', 20, 15)).toBe('10.40.240.0/20');
  });

  it('handles other sizes and carries across octets', () => {
    expect(subnetCidr('172.16.0.0/12', 16, 15)).toBe('172.31.0.0/16');
    expect(subnetCidr('192.168.4.0/22', 24, 3)).toBe('192.168.7.0/24');
    expect(subnetCidr('10.0.0.0/8', 28, 1)).toBe('10.0.0.16/28');
  });

  it('refuses what does not fit instead of producing overlapping ranges', () => {
    expect(() => subnetCidr('10.40.0.0/16', 20, 16)).toThrow('outside 10.40.0.0/16');
    expect(() => subnetCidr('10.40.0.0/16', 12, 0)).toThrow('does not fit');
    expect(() => subnetCidr('10.40.0.1/16', 20, 0)).toThrow('host bits');
    expect(() => subnetCidr('10.400.0.0/16', 20, 0)).toThrow('not an IPv4 CIDR');
    expect(() => subnetCidr('fd00::/8', 20, 0)).toThrow('not an IPv4 CIDR');
  });
});

describe('Network', () => {
  const deployment = (zones: readonly string[]): Deployment => ({
    environment: { ...staging, availabilityZones: zones },
    names: resourceNames(staging.prefix),
    accountId: '123456789012',
    partition: 'aws',
    region: staging.region,
  });

  it('refuses a single availability zone: the platform must survive losing one', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    expect(() => new Network(stack, 'network', { deployment: deployment(['eu-central-1a']) })).toThrow('2 to 4 zones');
  });

  it('gives every zone its own public, private and database subnet without overlaps', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    new Network(stack, 'network', { deployment: deployment(['eu-central-1a', 'eu-central-1b', 'eu-central-1c']) });
    const subnets = Object.values(
      JSON.parse(Testing.synth(stack)).resource.aws_subnet as Record<
        string,
        { cidr_block: string; availability_zone: string; tags: { Tier: string } }
      >,
    );
    expect(subnets).toHaveLength(9);
    expect(new Set(subnets.map((s) => s.cidr_block)).size).toBe(9);
    for (const tier of ['public', 'private', 'database']) {
      expect(
        subnets
          .filter((s) => s.tags.Tier === tier)
          .map((s) => s.availability_zone)
          .sort(),
      ).toEqual(['eu-central-1a', 'eu-central-1b', 'eu-central-1c']);
    }
  });
});
