import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadGatewayConfig } from '@app/config';
import { RouteeClient } from '@app/routee';
import { AppModule } from '../app.module';
import { buildOpenApiDocument } from './openapi-document';

/**
 * Writes the OpenAPI document the gateway serves at /docs-json, without a database or Routee: the app module is
 * created in Nest's preview mode, which reads every controller's metadata and instantiates no provider (so
 * TypeORM never connects). `node dist/apps/gateway/src/openapi/export-openapi.js [file]` (stdout without a file).
 */
export async function exportOpenApiDocument(): Promise<string> {
  const config = loadGatewayConfig({});
  // never called: preview mode instantiates no provider
  const routee = new RouteeClient({ ...config.routee, appId: 'offline', appSecret: 'offline' });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, databaseUrl: 'postgres://offline/openapi', routee }),
    new FastifyAdapter(),
    { preview: true, logger: false, abortOnError: false },
  );
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
    await routee.close();
  }
}

// run as a script (the build is CommonJS); imported by the ESM tests, where there is no `require`
if (typeof require !== 'undefined' && require.main === module) {
  void exportOpenApiDocument().then((json) => {
    const file = process.argv[2];
    if (file) writeFileSync(file, json);
    else process.stdout.write(json);
  });
}
