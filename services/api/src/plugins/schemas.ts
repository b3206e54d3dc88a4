import fp from 'fastify-plugin';
import { exportJobListSchema, exportJobSchema } from '../schemas/export-job';
import { exportScheduleListSchema, exportScheduleSchema } from '../schemas/export-schedule';
import { problemSchema } from '../schemas/problem';
import { tokenSetSchema } from '../schemas/token-set';
import { userSchema } from '../schemas/user';
import {
  webhookDeliveryListSchema,
  webhookDeliverySchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
} from '../schemas/webhook-endpoint';

/**
 * Schemas that several routes reference by `$ref` (`Problem#`, `ExportJob#`...).
 * Added at the root so every route sees them and the OpenAPI document lists
 * each once, as a component.
 */
export default fp(
  async (app) => {
    app.addSchema(problemSchema);
    app.addSchema(exportJobSchema);
    app.addSchema(exportJobListSchema);
    app.addSchema(exportScheduleSchema);
    app.addSchema(exportScheduleListSchema);
    app.addSchema(tokenSetSchema);
    app.addSchema(userSchema);
    app.addSchema(webhookEndpointSchema);
    app.addSchema(webhookEndpointWithSecretSchema);
    app.addSchema(webhookEndpointListSchema);
    app.addSchema(webhookDeliverySchema);
    app.addSchema(webhookDeliveryListSchema);
  },
  { name: 'schemas' },
);
