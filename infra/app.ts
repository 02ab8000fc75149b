/**
 * The CDK app: `npx cdk synth` for AWS, `-c target=localstack` for the
 * LocalStack variant (see docs/deploy.md for every context key).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SERVICE } from '../config/topology.js';
import { ProductFeedStack } from './product-feed-stack.js';
import { readSettings } from './settings.js';
import { PRODUCTS_TABLE_KEYS } from './table-schema.js';

const app = new App();
const settings = readSettings((key) => app.node.tryGetContext(key));
const id = settings.target === 'aws' ? SERVICE : `${SERVICE}-local`;

new ProductFeedStack(app, id, {
  settings,
  tableSchema: PRODUCTS_TABLE_KEYS,
  description: `Product feed (${settings.target})`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
