/**
 * The OpenAPI 3 document of the products API, generated from ROUTES and
 * the zod schemas in schemas.ts: the shapes shown are the shapes checked.
 */
import { z } from 'zod';
import { ROUTES, type Route } from '../../config/topology.js';
import {
  DetailSchema,
  FieldErrorsSchema,
  ListParamsSchema,
  PageSchema,
  ProductInputSchema,
  ProductPatchSchema,
  ProductSchema,
} from './schemas.js';

type Json = Record<string, unknown>;

const TARGET = 'openapi-3.0';
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function inline(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    target: TARGET,
    io,
    reused: 'inline',
  }) as Json;

  return json;
}

function components(): Json {
  const registry = z.registry<{ id: string }>();
  registry.add(ProductSchema, { id: 'Product' });
  registry.add(PageSchema, { id: 'ProductPage' });
  registry.add(DetailSchema, { id: 'Detail' });
  registry.add(FieldErrorsSchema, { id: 'FieldErrors' });
  const { schemas } = z.toJSONSchema(registry, {
    target: TARGET,
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  for (const schema of Object.values(schemas)) delete schema.$schema;
  schemas.ProductInput = inline(ProductInputSchema, 'input');
  schemas.ProductPatch = inline(ProductPatchSchema, 'input');

  return schemas;
}

function queryParameters(): Json[] {
  const shape = ListParamsSchema.shape;
  return Object.entries(shape).map(([name, schema]) => {
    const { description, example, ...rest } = inline(schema, 'input');
    return {
      name,
      in: 'query',
      required: false,
      description,
      example,
      schema: rest,
    };
  });
}

const jsonOf = (schema: Json) => ({
  content: { 'application/json': { schema } },
});

const answers: Record<string, Json> = {
  notFound: { description: 'No such product.', ...jsonOf(ref('Detail')) },
  invalid: {
    description: 'The request is invalid; the body names each problem.',
    ...jsonOf({ oneOf: [ref('FieldErrors'), ref('Detail')] }),
  },
  forbidden: {
    description: 'The x-api-key header is missing or wrong.',
    ...jsonOf(ref('Detail')),
  },
  unavailable: {
    description: 'The product store is unavailable.',
    ...jsonOf(ref('Detail')),
  },
  notModified: { description: 'The If-None-Match tag is current.' },
};

const codeParameter = {
  name: 'code',
  in: 'path',
  required: true,
  schema: { type: 'string' },
};

function operation(route: Route): Json {
  const write = route.access === 'write';
  const base: Json = {
    operationId: route.operation,
    tags: [route.path.startsWith('/api/products') ? 'products' : 'meta'],
    ...(write && { security: [{ apiKey: [] }] }),
  };
  const common = {
    '400': answers.invalid,
    '503': answers.unavailable,
    ...(write && { '403': answers.forbidden }),
  };
  const product = { description: 'The product.', ...jsonOf(ref('Product')) };
  switch (route.operation) {
    case 'listProducts':
      return {
        ...base,
        summary: 'A page of products',
        parameters: queryParameters(),
        responses: {
          '200': { description: 'One page.', ...jsonOf(ref('ProductPage')) },
          '304': answers.notModified,
          ...common,
        },
      };
    case 'createProduct':
      return {
        ...base,
        summary: 'Add a product',
        requestBody: { required: true, ...jsonOf(ref('ProductInput')) },
        responses: { '201': product, ...common },
      };
    case 'getProduct':
      return {
        ...base,
        summary: 'One product',
        parameters: [codeParameter],
        responses: {
          '200': product,
          '304': answers.notModified,
          '404': answers.notFound,
          ...common,
        },
      };
    case 'replaceProduct':
    case 'updateProduct':
      return {
        ...base,
        summary:
          route.operation === 'replaceProduct'
            ? 'Replace a product'
            : 'Change some fields of a product',
        parameters: [codeParameter],
        requestBody: {
          required: true,
          ...jsonOf(
            ref(
              route.operation === 'replaceProduct'
                ? 'ProductInput'
                : 'ProductPatch',
            ),
          ),
        },
        responses: { '200': product, '404': answers.notFound, ...common },
      };
    case 'deleteProduct':
      return {
        ...base,
        summary: 'Remove a product',
        parameters: [codeParameter],
        responses: {
          '204': { description: 'Removed.' },
          '404': answers.notFound,
          ...common,
        },
      };
    case 'getSchema':
      return {
        ...base,
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3 document.' } },
      };
    case 'getDocs':
      return {
        ...base,
        summary: 'Swagger UI for this document',
        responses: { '200': { description: 'An HTML page.' } },
      };
  }
}

/** The document; `server` is the API's root as the client reached it. */
export function openApiDocument(server: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    const path = `${route.path}/`;
    paths[path] ??= {};
    (paths[path] as Json)[route.method.toLowerCase()] = operation(route);
  }

  return {
    openapi: '3.0.3',
    info: {
      title: 'Product feed API',
      version: '1.0.0',
      description:
        'Products with prices that change on a schedule. Reads are open; ' +
        'writes need the x-api-key header.',
    },
    servers: [{ url: server }],
    paths,
    components: {
      schemas: components(),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
  };
}
