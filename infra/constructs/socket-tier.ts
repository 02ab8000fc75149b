/**
 * The long-running processes on ECS Fargate (arm64), both from the socket
 * tier's image: the price worker, and the socket server behind an
 * internet-facing network load balancer that passes TCP through.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ContainerSpec {
  /** Overrides the image's command; the image's own when left out. */
  readonly command?: string[];
  readonly environment: Record<string, string>;
  readonly secrets: Record<string, ecs.Secret>;
  readonly desiredCount?: number;
  /** How long a stopping task may finish its work before it is killed. */
  readonly stopTimeout?: Duration;
  /** Groups of the tasks; a group of their own when left out. */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

export interface SocketTierProps {
  readonly vpc: ec2.IVpc;
  readonly image: ecs.ContainerImage;
  readonly table: dynamodb.ITable;
  readonly worker: ContainerSpec;
  readonly socketServer: ContainerSpec;
  readonly socketPort: number;
  /** Who may open TCP connections to the load balancer. */
  readonly clientPeer?: ec2.IPeer;
}

const ENV_IN_TASK_DEFINITION = {
  id: 'AwsSolutions-ECS2',
  reason:
    'Only non-secret settings are plain environment variables; the ' +
    'AMQP URL comes from Secrets Manager as an ECS secret.',
};

export class SocketTier extends Construct {
  readonly cluster: ecs.Cluster;
  readonly worker: ecs.FargateService;
  readonly socketServer: ecs.FargateService;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;

  constructor(scope: Construct, id: string, props: SocketTierProps) {
    super(scope, id);

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.worker = this.service('Worker', props, props.worker);
    props.table.grantReadWriteData(this.worker.taskDefinition.taskRole);
    this.socketServer = this.service(
      'SocketServer',
      props,
      props.socketServer,
      props.socketPort,
    );

    this.loadBalancer = this.addLoadBalancer(props);
  }

  /** An internet-facing NLB passing the socket port through to tasks. */
  private addLoadBalancer(props: SocketTierProps): elbv2.NetworkLoadBalancer {
    const balancerGroup = new ec2.SecurityGroup(this, 'BalancerGroup', {
      vpc: props.vpc,
      description: 'Socket clients to the load balancer',
      allowAllOutbound: false,
    });
    balancerGroup.addIngressRule(
      props.clientPeer ?? ec2.Peer.anyIpv4(),
      ec2.Port.tcp(props.socketPort),
      'Socket clients',
    );
    const balancer = new elbv2.NetworkLoadBalancer(this, 'Balancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [balancerGroup],
    });
    const listener = balancer.addListener('Tcp', {
      port: props.socketPort,
      protocol: elbv2.Protocol.TCP,
    });
    const targets = listener.addTargets('SocketServers', {
      port: props.socketPort,
      protocol: elbv2.Protocol.TCP,
      // Watches are long-lived: give open connections time to get the
      // server's `bye` and reconnect elsewhere.
      deregistrationDelay: Duration.seconds(30),
      healthCheck: { protocol: elbv2.Protocol.TCP },
      targets: [
        this.socketServer.loadBalancerTarget({
          containerName: 'SocketServer',
          containerPort: props.socketPort,
        }),
      ],
    });
    // Servers see each client's own address, so the per-address
    // connection limit applies to clients, not to the balancer.
    targets.setAttribute('preserve_client_ip.enabled', 'true');
    this.socketServer.connections.allowFrom(
      balancerGroup,
      ec2.Port.tcp(props.socketPort),
      'Load balancer to socket servers',
    );
    this.acknowledgeFindings(balancer, balancerGroup);

    return balancer;
  }

  private service(
    name: string,
    props: SocketTierProps,
    spec: ContainerSpec,
    port?: number,
  ): ecs.FargateService {
    const task = new ecs.FargateTaskDefinition(this, `${name}Task`, {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const logGroup = new logs.LogGroup(this, `${name}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    task.addContainer(name, {
      image: props.image,
      ...(spec.command && { command: spec.command }),
      environment: spec.environment,
      secrets: spec.secrets,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: name, logGroup }),
      portMappings: port ? [{ containerPort: port }] : [],
      ...(spec.stopTimeout && { stopTimeout: spec.stopTimeout }),
    });
    Validations.of(task).acknowledge(ENV_IN_TASK_DEFINITION, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role needs ecr:GetAuthorizationToken, which takes ' +
        'no resource; image pulls stay limited to the asset repository.',
    });

    return new ecs.FargateService(this, name, {
      cluster: this.cluster,
      taskDefinition: task,
      desiredCount: spec.desiredCount ?? 1,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
      ...(spec.securityGroups && { securityGroups: spec.securityGroups }),
      minHealthyPercent: 100,
    });
  }

  private acknowledgeFindings(
    balancer: elbv2.NetworkLoadBalancer,
    balancerGroup: ec2.SecurityGroup,
  ): void {
    Validations.of(balancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'Network load balancers log access only for TLS listeners; ' +
        'this listener is plain TCP, as the older clients speak it.',
    });
    Validations.of(balancerGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The socket endpoint is public by design: TCP clients connect ' +
        'from anywhere, and only the socket port is open.',
    });
  }
}
