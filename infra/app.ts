/**
 * The CDK app: `npx cdk synth` for AWS, `-c target=localstack` for the
 * LocalStack variant (docs/deploy.md lists every context key).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../config/env.js';
import { SERVICE } from '../config/topology.js';
import { PRODUCTS_TABLE_SCHEMA } from '../functions/store/table-schema.js';
import { ProductFeedStack } from './product-feed-stack.js';
import { type DeploySettings, readSettings } from './settings.js';

const app = new App();
let settings: DeploySettings;
try {
  settings = readSettings((key) => app.node.tryGetContext(key));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`product feed: ${error.message}\n`);
  process.exit(1);
}
const id = settings.target === 'aws' ? SERVICE : `${SERVICE}-local`;

new ProductFeedStack(app, id, {
  settings,
  tableSchema: PRODUCTS_TABLE_SCHEMA,
  description: `Product feed (${settings.target})`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
