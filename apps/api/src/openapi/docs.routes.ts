import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApiDocument } from './openapi';

/** GET /openapi.json and GET /docs (Swagger UI served from node_modules, no CDN). */
export function apiDocsRoutes(pipelineIds: readonly string[], defaultPipeline: string): Router {
  const openApiDocument = buildOpenApiDocument(pipelineIds, defaultPipeline);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  router.use(
    '/docs',
    swaggerUi.serve,
    swaggerUi.setup(openApiDocument as object, { customSiteTitle: 'video-jobs API' }),
  );
  return router;
}
