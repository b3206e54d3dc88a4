import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktn/provider-aws/lib/default-security-group';
import { Eip } from '@cdktn/provider-aws/lib/eip';
import { FlowLog } from '@cdktn/provider-aws/lib/flow-log';
import { InternetGateway } from '@cdktn/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktn/provider-aws/lib/nat-gateway';
import { Route } from '@cdktn/provider-aws/lib/route';
import { RouteTable } from '@cdktn/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktn/provider-aws/lib/security-group';
import { Subnet } from '@cdktn/provider-aws/lib/subnet';
import { Vpc } from '@cdktn/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktn/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktn/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';
import { nameTag, type Deployment } from './deployment';
import { ServiceRole } from './iam';

/** Port the API container listens on (the API's PORT). */
export const API_PORT = 3000;
export const POSTGRES_PORT = 5432;
/** Ports a webhook receiver may listen on besides 443 (the worker's address policy allows the same). */
export const WEBHOOK_PORT_RANGE = { from: 1024, to: 65_535 } as const;

/** Each subnet tier takes one /20 per zone out of the VPC's /16: public 0–3, private 4–7, database 8–11. */
const SUBNET_PREFIX_LENGTH = 20;
const TIER_OFFSET = { public: 0, private: 4, database: 8 } as const;
const MAX_ZONES = 4;

export interface NetworkProps {
  readonly deployment: Deployment;
}

export interface SecurityGroups {
  /** The internet-facing load balancer: 80/443 in, the API port out to the API tasks. */
  readonly loadBalancer: SecurityGroup;
  readonly api: SecurityGroup;
  readonly worker: SecurityGroup;
  /** PostgreSQL: reachable only from the API and worker groups. */
  readonly database: SecurityGroup;
  /** Interface endpoints: HTTPS from the API and worker groups. */
  readonly endpoints: SecurityGroup;
}

/**
 * The VPC over the environment's availability zones: public subnets for the
 * load balancer and NAT gateways, private subnets for the tasks and the
 * interface endpoints, database subnets with no route out at all. The tasks
 * reach DynamoDB and S3 through gateway endpoints and the other AWS APIs
 * through interface endpoints, so their AWS traffic never crosses the NAT.
 * The security groups are defined together here, so the whole traffic graph
 * reads in one place.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnetIds: string[] = [];
  readonly privateSubnetIds: string[] = [];
  readonly databaseSubnetIds: string[] = [];
  readonly securityGroups: SecurityGroups;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { deployment } = props;
    const env = deployment.environment;
    const zones = env.availabilityZones;
    if (zones.length < 2 || zones.length > MAX_ZONES) {
      throw new Error(`${env.name}: availabilityZones must list 2 to ${MAX_ZONES} zones, got ${zones.length}`);
    }

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: env.network.vpcCidr,
      enableDnsHostnames: true, // required for private DNS of interface endpoints
      enableDnsSupport: true,
      tags: nameTag(deployment, 'vpc'),
    });

    // The default security group would admit anything attached to it by mistake: strip its rules.
    new DefaultSecurityGroup(this, 'default-security-group', { vpcId: this.vpc.id, tags: nameTag(deployment, 'default-deny') });

    const internetGateway = new InternetGateway(this, 'internet-gateway', {
      vpcId: this.vpc.id,
      tags: nameTag(deployment, 'igw'),
    });
    const publicRoutes = new RouteTable(this, 'public-routes', { vpcId: this.vpc.id, tags: nameTag(deployment, 'public') });
    new Route(this, 'public-default-route', {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: internetGateway.id,
    });
    const databaseRoutes = new RouteTable(this, 'database-routes', {
      vpcId: this.vpc.id,
      tags: nameTag(deployment, 'database'),
    });

    const natGateways: NatGateway[] = [];
    const privateRouteTables: RouteTable[] = [];
    zones.forEach((zone, index) => {
      const publicSubnet = new Subnet(this, `public-subnet-${index}`, {
        vpcId: this.vpc.id,
        availabilityZone: zone,
        cidrBlock: subnetCidr(env.network.vpcCidr, SUBNET_PREFIX_LENGTH, TIER_OFFSET.public + index),
        mapPublicIpOnLaunch: false, // only the load balancer and NAT gateways live here, with their own addresses
        tags: { ...nameTag(deployment, `public-${zone}`), Tier: 'public' },
      });
      new RouteTableAssociation(this, `public-subnet-${index}-routes`, { subnetId: publicSubnet.id, routeTableId: publicRoutes.id });
      this.publicSubnetIds.push(publicSubnet.id);

      if (env.network.natGatewayPerZone || index === 0) {
        const address = new Eip(this, `nat-address-${index}`, { domain: 'vpc', tags: nameTag(deployment, `nat-${zone}`) });
        natGateways.push(
          new NatGateway(this, `nat-gateway-${index}`, {
            allocationId: address.id,
            subnetId: publicSubnet.id,
            tags: nameTag(deployment, `nat-${zone}`),
            dependsOn: [internetGateway],
          }),
        );
      }

      const privateSubnet = new Subnet(this, `private-subnet-${index}`, {
        vpcId: this.vpc.id,
        availabilityZone: zone,
        cidrBlock: subnetCidr(env.network.vpcCidr, SUBNET_PREFIX_LENGTH, TIER_OFFSET.private + index),
        tags: { ...nameTag(deployment, `private-${zone}`), Tier: 'private' },
      });
      const privateRoutes = new RouteTable(this, `private-routes-${index}`, {
        vpcId: this.vpc.id,
        tags: nameTag(deployment, `private-${zone}`),
      });
      // With one NAT gateway per zone a zone outage only takes that zone's egress down.
      const nat = natGateways[env.network.natGatewayPerZone ? index : 0]!;
      new Route(this, `private-default-route-${index}`, {
        routeTableId: privateRoutes.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: nat.id,
      });
      new RouteTableAssociation(this, `private-subnet-${index}-routes`, {
        subnetId: privateSubnet.id,
        routeTableId: privateRoutes.id,
      });
      privateRouteTables.push(privateRoutes);
      this.privateSubnetIds.push(privateSubnet.id);

      const databaseSubnet = new Subnet(this, `database-subnet-${index}`, {
        vpcId: this.vpc.id,
        availabilityZone: zone,
        cidrBlock: subnetCidr(env.network.vpcCidr, SUBNET_PREFIX_LENGTH, TIER_OFFSET.database + index),
        tags: { ...nameTag(deployment, `database-${zone}`), Tier: 'database' },
      });
      new RouteTableAssociation(this, `database-subnet-${index}-routes`, {
        subnetId: databaseSubnet.id,
        routeTableId: databaseRoutes.id,
      });
      this.databaseSubnetIds.push(databaseSubnet.id);
    });

    this.securityGroups = this.createSecurityGroups(deployment);

    for (const service of ['dynamodb', 's3']) {
      new VpcEndpoint(this, `${service}-gateway-endpoint`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${deployment.region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRouteTables.map((table) => table.id),
        tags: nameTag(deployment, service),
      });
    }
    for (const service of env.network.interfaceEndpoints) {
      new VpcEndpoint(this, `${service.replace(/\./g, '-')}-interface-endpoint`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${deployment.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [this.securityGroups.endpoints.id],
        tags: nameTag(deployment, service),
      });
    }

    this.createFlowLogs(deployment);
  }

  private createSecurityGroups(deployment: Deployment): SecurityGroups {
    const group = (id: string, description: string) =>
      new SecurityGroup(this, id, {
        name: `${deployment.environment.prefix}-${id}`,
        description,
        vpcId: this.vpc.id,
        tags: nameTag(deployment, id),
        // Terraform removes AWS's default allow-all egress: every rule below is deliberate.
      });
    const groups: SecurityGroups = {
      loadBalancer: group('load-balancer', 'Internet-facing ALB of the API'),
      api: group('api', 'API tasks'),
      worker: group('worker', 'Worker tasks'),
      database: group('database', 'PostgreSQL, reachable only from the API and worker tasks'),
      endpoints: group('endpoints', 'Interface VPC endpoints, reachable from the API and worker tasks'),
    };

    const ingress = (id: string, to: SecurityGroup, port: number, from: { cidr: string } | { group: SecurityGroup }, description: string) =>
      new VpcSecurityGroupIngressRule(this, id, {
        securityGroupId: to.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description,
        ...('cidr' in from ? { cidrIpv4: from.cidr } : { referencedSecurityGroupId: from.group.id }),
      });
    const egress = (id: string, from: SecurityGroup, port: number, to: { cidr: string } | { group: SecurityGroup }, description: string) =>
      new VpcSecurityGroupEgressRule(this, id, {
        securityGroupId: from.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description,
        ...('cidr' in to ? { cidrIpv4: to.cidr } : { referencedSecurityGroupId: to.group.id }),
      });

    ingress('load-balancer-https-in', groups.loadBalancer, 443, { cidr: '0.0.0.0/0' }, 'HTTPS from the internet');
    ingress('load-balancer-http-in', groups.loadBalancer, 80, { cidr: '0.0.0.0/0' }, 'HTTP from the internet, redirected to HTTPS');
    egress('load-balancer-to-api', groups.loadBalancer, API_PORT, { group: groups.api }, 'Requests and health checks to the API tasks');
    ingress('api-from-load-balancer', groups.api, API_PORT, { group: groups.loadBalancer }, 'Requests and health checks from the ALB');

    for (const [name, service] of [
      ['api', groups.api],
      ['worker', groups.worker],
    ] as const) {
      // AWS APIs: interface endpoints inside the VPC, gateway endpoints (prefix lists) and, for anything else, the NAT.
      egress(`${name}-https-out`, service, 443, { cidr: '0.0.0.0/0' }, 'HTTPS to AWS APIs');
      egress(`${name}-to-database`, service, POSTGRES_PORT, { group: groups.database }, 'PostgreSQL');
      ingress(`database-from-${name}`, groups.database, POSTGRES_PORT, { group: service }, `PostgreSQL from the ${name} tasks`);
      ingress(`endpoints-from-${name}`, groups.endpoints, 443, { group: service }, `HTTPS from the ${name} tasks`);
    }
    // Webhook receivers are anywhere on the internet: HTTPS on 443 is above; the address policy also
    // accepts ports 1024-65535 (README: "Webhook receivers"). It refuses private, loopback and metadata
    // addresses before connecting, and every group inside the VPC admits only its own callers.
    new VpcSecurityGroupEgressRule(this, 'worker-webhook-ports-out', {
      securityGroupId: groups.worker.id,
      ipProtocol: 'tcp',
      fromPort: WEBHOOK_PORT_RANGE.from,
      toPort: WEBHOOK_PORT_RANGE.to,
      description: 'Webhook receivers on ports other than 443',
      cidrIpv4: '0.0.0.0/0',
    });
    return groups;
  }

  private createFlowLogs(deployment: Deployment): void {
    const logGroup = new CloudwatchLogGroup(this, 'flow-log-group', {
      name: `/vpc/${deployment.environment.prefix}/flow-logs`,
      retentionInDays: deployment.environment.logRetentionDays,
    });
    const role = new ServiceRole(this, 'flow-log-role', {
      name: `${deployment.environment.prefix}-flow-logs`,
      description: 'Lets VPC Flow Logs write to its log group.',
      servicePrincipal: 'vpc-flow-logs.amazonaws.com',
      sourceAccount: deployment.accountId,
      statements: [
        {
          // The log group exists already (below), so the service needs no CreateLogGroup/DescribeLogGroups.
          sid: 'WriteFlowLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [logGroup.arn, `${logGroup.arn}:*`],
        },
      ],
    });
    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'REJECT', // rejected traffic is what an investigation needs; ALL doubles the log volume
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 600,
      tags: nameTag(deployment, 'flow-logs'),
    });
  }
}

/**
 * The `index`-th subnet of `prefixLength` inside an IPv4 `vpcCidr`, computed
 * at synth time so subnet ranges are visible in the plan and in tests.
 */
export function subnetCidr(vpcCidr: string, prefixLength: number, index: number): string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(vpcCidr);
  if (!match) throw new Error(`not an IPv4 CIDR block: ${vpcCidr}`);
  const octets = match.slice(1, 5).map(Number);
  const vpcPrefix = Number(match[5]);
  if (octets.some((o) => o > 255) || vpcPrefix > 32) throw new Error(`not an IPv4 CIDR block: ${vpcCidr}`);
  if (prefixLength < vpcPrefix || prefixLength > 28) {
    throw new Error(`a /${prefixLength} subnet does not fit a /${vpcPrefix} VPC`);
  }
  const count = 2 ** (prefixLength - vpcPrefix);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`subnet ${index} is outside ${vpcCidr} (it holds ${count} /${prefixLength} subnets)`);
  }
  const base = octets.reduce((value, octet) => value * 256 + octet, 0);
  const vpcMask = vpcPrefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - vpcPrefix);
  if ((base & vpcMask) >>> 0 !== base) throw new Error(`${vpcCidr} has host bits set`);
  const address = base + index * 2 ** (32 - prefixLength);
  const parts = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
  return `${parts.join('.')}/${prefixLength}`;
}
