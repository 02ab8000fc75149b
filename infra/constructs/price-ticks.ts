/**
 * The price schedule: an EventBridge rule puts one tick event per period
 * on the ticks queue; the bridge function drains it with partial batch
 * responses, and ticks that keep failing land in the DLQ, which alarms.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENTRIES, MAX_TICK_RECEIVES, QUEUES } from '../../config/topology.js';
import { NodeFunction, type VpcPlacement } from './node-function.js';

export interface PriceTicksProps {
  /** A deployable EventBridge expression (see config/schedule.ts). */
  readonly schedule: string;
  /** Environment of the bridge function (the `bridge` role). */
  readonly environment: Record<string, string>;
  /** Where the bridge runs when the broker is inside a VPC. */
  readonly placement?: VpcPlacement;
  /** Where DLQ alarms are sent. */
  readonly alarmTopic: sns.ITopic;
  readonly bridgeTimeout?: Duration;
}

// AWS advises a visibility timeout of six times the function timeout for
// SQS event sources, so a batch retried by Lambda is not seen twice.
const VISIBILITY_PER_TIMEOUT = 6;

export class PriceTicks extends Construct {
  readonly rule: events.Rule;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly bridge: lambda.IFunction;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PriceTicksProps) {
    super(scope, id);

    const timeout = props.bridgeTimeout ?? Duration.seconds(30);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: QUEUES.ticksDlq,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Ticks', {
      queueName: QUEUES.ticks,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(
        timeout.toSeconds() * VISIBILITY_PER_TIMEOUT,
      ),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: MAX_TICK_RECEIVES,
      },
    });
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'One price tick per period',
      schedule: events.Schedule.expression(props.schedule),
      targets: [new targets.SqsQueue(this.queue)],
    });

    this.bridge = new NodeFunction(this, 'Bridge', {
      entry: ENTRIES.bridge,
      handler: 'handler',
      description: 'Turns each price tick into a task message on RabbitMQ',
      environment: props.environment,
      timeout,
      ...(props.placement && { placement: props.placement }),
    }).function;
    this.bridge.addEventSource(
      new sources.SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
      }),
    );

    this.deadLetterAlarm = this.alarmOnDeadLetters(props.alarmTopic);
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the ticks queue.',
    });
  }

  /** Fires on the first tick in the DLQ: the bridge keeps failing. */
  private alarmOnDeadLetters(topic: sns.ITopic): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'Price ticks are failing: see the bridge logs',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator:
        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(topic));

    return alarm;
  }
}
