import fs from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { sql } from 'kysely';
import type { Config } from '../config';
import type { Db } from '../store/database';
import { version } from '../version';
import { redactedPaths } from '../log';

export interface AppDeps {
  config: Config;
  db: Db;
}

/** Builds the HTTP server: API, health and the built task pane on one origin (SPEC §11). */
export async function buildApp({ config, db }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.LOG_LEVEL, redact: { paths: redactedPaths, censor: '[redacted]' } },
    bodyLimit: 1024 * 1024,
  });

  app.get('/healthz', async (_req, reply) => {
    try {
      await sql`select 1`.execute(db.kysely);
      return { status: 'ok', version, database: db.dialect };
    } catch {
      return reply.code(503).send({ status: 'database unavailable', version, database: db.dialect });
    }
  });

  if (fs.existsSync(config.ADDIN_DIR)) {
    await app.register(fastifyStatic, { root: config.ADDIN_DIR, index: ['taskpane.html'] });
  } else {
    app.log.warn({ dir: config.ADDIN_DIR }, 'the task pane is not built; run npm run build');
  }
  return app;
}
