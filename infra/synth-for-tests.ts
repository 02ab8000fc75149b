/**
 * Synthesis for the infra tests: a target built in process as `cdk synth`
 * builds it, the cdk-nag findings left unacknowledged, and the bundles
 * run as the Lambda runtime would run them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TABLE_NAME } from '../config/topology.js';
import { PRODUCTS_TABLE_SCHEMA } from '../functions/store/table-schema.js';
import { fromRoot } from './paths.js';
import { ProductFeedStack } from './product-feed-stack.js';
import { readSettings } from './settings.js';
import type { Resource } from './template-queries.js';

// Bundling every function and fingerprinting the image context takes a
// while: each target is synthesized once per test file.
export const SYNTH_TIMEOUT = 120_000;

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly template: Template;
}

export function synth(context: Record<string, string>): Synthesized {
  const app = new App();
  const settings = readSettings((key) => context[key], {});
  const stack = new ProductFeedStack(app, 'Feed', {
    settings,
    tableSchema: PRODUCTS_TABLE_SCHEMA,
  });

  return { app, stack, template: Template.fromStack(stack) };
}

export function nagViolations(stack: Stack): string[] {
  const report = new AwsSolutionsChecks(undefined).validateScope(stack);

  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.ruleName} at ${resource.constructPath}`,
    ),
  );
}

export function acknowledgements(stack: Stack): [string, string][] {
  return stack.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter(
          (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
        )
        .flatMap((entry) => Object.entries(entry.data as object)),
    );
}

/** The staged directory of a function's code asset. */
export function bundleOf(app: App, resource: Resource): string {
  const code = resource.Properties.Code as { S3Key: string };

  return join(app.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
}

/**
 * Runs `script` as an ES module beside a copy of the bundle, where only
 * the AWS SDK (which the Lambda runtime provides) is installed, and
 * parses the last line it prints.
 */
export function runBundle(
  bundle: string,
  script: string,
): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  try {
    cpSync(bundle, dir, { recursive: true });
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(
      fromRoot('node_modules/@aws-sdk'),
      join(dir, 'node_modules', '@aws-sdk'),
    );
    const run = spawnSync(
      process.execPath,
      ['--input-type=module', '--no-warnings', '-e', script],
      {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, PRODUCTS_TABLE: TABLE_NAME },
        timeout: 20_000,
      },
    );
    const lines = run.stdout.trim().split('\n');
    if (run.status !== 0) throw new Error(run.stderr);
    return JSON.parse(lines.at(-1) ?? '{}');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
