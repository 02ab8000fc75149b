/**
 * An Amazon MQ RabbitMQ broker inside the VPC, its user's credentials
 * generated in Secrets Manager, and a second secret holding the full
 * `amqps://` URL that processes read as AMQP_URL.
 */
import { Fn, SecretValue, Validations } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface MessageBrokerProps {
  readonly vpc: ec2.IVpc;
  /** A single-instance broker lives in one subnet. */
  readonly subnet: ec2.ISubnet;
  readonly instanceType?: string;
  readonly engineVersion?: string;
}

const USERNAME = 'productfeed';
export const AMQPS_PORT = 5671;

export class MessageBroker extends Construct implements ec2.IConnectable {
  readonly broker: amazonmq.CfnBroker;
  readonly credentials: secrets.Secret;
  /** The whole `amqps://user:password@host:5671` URL. */
  readonly urlSecret: secrets.Secret;
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: MessageBrokerProps) {
    super(scope, id);

    this.credentials = new secrets.Secret(this, 'Credentials', {
      description: 'RabbitMQ user of the product feed broker',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: USERNAME }),
        generateStringKey: 'password',
        // Amazon MQ refuses , : = in passwords; letters and digits also
        // keep the URL free of percent-encoding.
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Product feed RabbitMQ broker',
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({
      securityGroups: [securityGroup],
      defaultPort: ec2.Port.tcp(AMQPS_PORT),
    });

    const password = this.credentials
      .secretValueFromJson('password')
      .unsafeUnwrap();
    this.broker = new amazonmq.CfnBroker(this, 'Broker', {
      brokerName: `${id}-${this.node.addr.slice(0, 8)}`,
      engineType: 'RABBITMQ',
      engineVersion: props.engineVersion ?? '3.13',
      hostInstanceType: props.instanceType ?? 'mq.t3.micro',
      deploymentMode: 'SINGLE_INSTANCE',
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      subnetIds: [props.subnet.subnetId],
      securityGroups: [securityGroup.securityGroupId],
      logs: { general: true },
      users: [{ username: USERNAME, password }],
    });

    // The endpoint reads `amqps://b-....mq.<region>.amazonaws.com:5671`;
    // the URL secret holds only dynamic references in the template.
    const endpoint = Fn.select(0, this.broker.attrAmqpEndpoints);
    const hostAndPort = Fn.select(1, Fn.split('://', endpoint));
    this.urlSecret = new secrets.Secret(this, 'Url', {
      description: 'AMQP_URL of the product feed broker',
      secretStringValue: SecretValue.unsafePlainText(
        Fn.join('', ['amqps://', USERNAME, ':', password, '@', hostAndPort]),
      ),
    });

    for (const secret of [this.credentials, this.urlSecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Amazon MQ for RabbitMQ has no managed rotation; rotating ' +
          'means changing the broker user, then both secrets, then ' +
          'restarting the consumers.',
      });
    }
  }
}
