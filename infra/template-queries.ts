/**
 * Questions the infra tests ask of a synthesized template: which function
 * serves an operation, what its role may do, what a container is given.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

interface ContainerDefinition {
  readonly Name: string;
  readonly Environment?: { Name: string; Value: unknown }[];
  readonly Secrets?: { Name: string; ValueFrom: unknown }[];
  readonly Command?: string[];
  readonly StopTimeout?: number;
}

export function resourcesOf(
  template: Template,
  type: string,
): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

/** The Lambda function whose handler is `index.<name>`. */
export function functionByHandler(
  template: Template,
  name: string,
): [string, Resource] {
  const found = resourcesOf(template, 'AWS::Lambda::Function').filter(
    ([, resource]) => resource.Properties.Handler === `index.${name}`,
  );
  const [only, ...others] = found;
  if (!only || others.length > 0) {
    throw new Error(`expected one function for ${name}, ${found.length}`);
  }

  return only;
}

export function environmentOf(resource: Resource): Record<string, unknown> {
  const environment = resource.Properties.Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;

  return environment?.Variables ?? {};
}

function roleIdOf(resource: Resource): string {
  const role = resource.Properties.Role as { 'Fn::GetAtt'?: string[] };
  const id = role['Fn::GetAtt']?.[0];
  if (!id) throw new Error('the function has no role of this stack');

  return id;
}

/** Every statement of every inline policy attached to a role. */
export function statementsOfRole(
  template: Template,
  roleId: string,
): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap(([, policy]) => {
      const document = policy.Properties.PolicyDocument as {
        Statement: Statement[];
      };
      return document.Statement;
    });
}

export function statementsOfFunction(
  template: Template,
  resource: Resource,
): Statement[] {
  return statementsOfRole(template, roleIdOf(resource));
}

export function actionsOf(
  statements: Statement[],
  prefix: string,
): Set<string> {
  return new Set(
    statements
      .flatMap((statement) => [statement.Action].flat())
      .filter((action) => action.startsWith(prefix)),
  );
}

/** The container definition named `name` and its task definition. */
export function containerNamed(
  template: Template,
  name: string,
): { container: ContainerDefinition; task: Resource } {
  for (const [, task] of resourcesOf(template, 'AWS::ECS::TaskDefinition')) {
    const containers = task.Properties
      .ContainerDefinitions as ContainerDefinition[];
    const container = containers.find((each) => each.Name === name);
    if (container) return { container, task };
  }

  throw new Error(`no container named ${name}`);
}

/** The path of an API Gateway resource, rebuilt from its parents. */
export function resourcePath(template: Template, resourceId: string): string {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const parts: string[] = [];
  let current = resources[resourceId];
  while (current) {
    parts.unshift(current.Properties.PathPart);
    const parent = current.Properties.ParentId as { Ref?: string };
    current = parent.Ref ? resources[parent.Ref] : undefined;
  }

  return `/${parts.join('/')}`;
}

/** The single item of a list, or an error saying how many there were. */
export function only<T>(items: readonly T[], what: string): T {
  const [first, ...others] = items;
  if (first === undefined || others.length > 0) {
    throw new Error(`expected one ${what}, found ${items.length}`);
  }

  return first;
}

export function queueNamed(
  template: Template,
  name: string,
): [string, Resource] {
  const queues = resourcesOf(template, 'AWS::SQS::Queue').filter(
    ([, queue]) => queue.Properties.QueueName === name,
  );

  return only(queues, `queue ${name}`);
}
