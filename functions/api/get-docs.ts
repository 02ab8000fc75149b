/**
 * GET /api/docs/: Swagger UI for this API, served whole from the
 * swagger-ui-dist package (script and styles inline, the document
 * embedded), so it works without reaching any other host.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type ApiDeps, type ApiHandler, answer } from './context.js';
import { apiRoot } from './links.js';
import { openApiDocument } from './openapi.js';
import { etagOf, matchesEtag } from './responses.js';

let assets: { script: string; styles: string } | undefined;

/**
 * Read once per process; the package is large and never changes. The
 * files are read at run time, so a bundled Lambda must ship the
 * swagger-ui-dist package beside the bundle (esbuild nodeModules).
 */
function swaggerAssets(): { script: string; styles: string } {
  if (!assets) {
    const require = createRequire(import.meta.url);
    const read = (file: string) =>
      readFileSync(require.resolve(`swagger-ui-dist/${file}`), 'utf8');
    assets = {
      script: read('swagger-ui-bundle.js'),
      styles: read('swagger-ui.css'),
    };
  }

  return assets;
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function docsPage(spec: unknown): string {
  const { script, styles } = swaggerAssets();

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Product feed API</title>
<style>${styles}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script>${script.replace(/<\/script/gi, '<\\/script')}</script>
<script>
window.ui = SwaggerUIBundle({
  spec: ${scriptJson(spec)},
  dom_id: '#swagger-ui',
  deepLinking: false,
  validatorUrl: null
});
</script>
</body>
</html>
`;
}

export function getDocs(deps: ApiDeps): ApiHandler {
  return answer(
    'getDocs',
    deps,
    async (event): Promise<APIGatewayProxyResult> => {
      const html = docsPage(openApiDocument(apiRoot(event)));
      const etag = etagOf(html);
      if (matchesEtag(event, etag)) {
        return { statusCode: 304, headers: { ETag: etag }, body: '' };
      }

      return {
        statusCode: 200,
        headers: { 'Content-Type': 'text/html; charset=utf-8', ETag: etag },
        body: html,
      };
    },
  );
}
