/**
 * A Lambda function bundled from TypeScript with the local esbuild (never
 * Docker), Node 22 on arm64, logging to its own log group.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fromRoot, ROOT } from '../paths.js';

/** Where a function runs when it must reach something inside a VPC. */
export interface VpcPlacement {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
}

export interface NodeFunctionProps {
  /** Entry file relative to the repository root (see ENTRIES). */
  readonly entry: string;
  /** Name of the exported handler in the entry file. */
  readonly handler: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly placement?: VpcPlacement;
  readonly logRetention?: logs.RetentionDays;
  /**
   * Files of installed packages the code reads at run time, by package:
   * esbuild bundles what is imported, not what is read from disk, so
   * these are copied into `node_modules/` beside the bundle.
   */
  readonly packageFiles?: Readonly<Record<string, readonly string[]>>;
}

// ESM output: bundled CommonJS packages (amqplib) still call require()
// for Node built-ins, which an ES module has to be given. The import is
// renamed so it cannot clash with a createRequire the sources import.
const REQUIRE_SHIM =
  "import { createRequire as createBundleRequire } from 'node:module';" +
  'const require = createBundleRequire(import.meta.url);';

export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;

function copyPackageFiles(
  packages: Readonly<Record<string, readonly string[]>>,
): nodejs.ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) =>
      Object.entries(packages).flatMap(([name, files]) => {
        const from = `${inputDir}/node_modules/${name}`;
        const to = `${outputDir}/node_modules/${name}`;
        return [
          `mkdir -p "${to}"`,
          ...files.map((file) => `cp "${from}/${file}" "${to}/${file}"`),
        ];
      }),
  };
}

export class NodeFunction extends Construct {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = this.role(logGroup, props.placement);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: fromRoot(props.entry),
      projectRoot: ROOT,
      depsLockFilePath: fromRoot('package-lock.json'),
      handler: props.handler,
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      environment: props.environment,
      logGroup,
      role,
      ...(props.placement && {
        vpc: props.placement.vpc,
        vpcSubnets: props.placement.subnets,
        securityGroups: props.placement.securityGroups,
      }),
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        commandHooks: copyPackageFiles(props.packageFiles ?? {}),
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node 22 is the runtime the product is built and tested for; ' +
        'the runtime moves with the project, not ahead of it.',
    });
  }

  /**
   * Its own role instead of the managed basic execution policy, which
   * may write to any log group: this one writes only to its own.
   */
  private role(logGroup: logs.ILogGroup, placement?: VpcPlacement): iam.Role {
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(role);
    if (!placement) return role;

    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda creates the network interfaces of a function in a VPC; ' +
        'these EC2 actions take no resource-level restriction.',
    });
    return role;
  }
}
