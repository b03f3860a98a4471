/**
 * The Sandbox CRM's own REST API under /sandbox/v1: a person (or a test) acts as the CRM user of the signed-in
 * account. Authentication is the server's: `authenticate` resolves the request to a tenant and user e-mail.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  SandboxError,
  SandboxInputError,
  type SandboxRepositoryFactory,
  type SandboxScope,
} from '../../providers/crm/sandbox';
import { HttpError } from '../errors';
import { registerSandboxItemPage } from './item-page';
import * as service from './service';
import { jsonBodyError } from '../http/error-shape';

export interface SandboxRoutesOptions {
  repoFor: SandboxRepositoryFactory;
  /** The signed-in user's tenant and e-mail, or null (→ 401). May reply itself and throw. */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<SandboxScope | null>;
}

const idParams = z.object({ id: z.string().min(1).max(64) });

function ifMatchVersion(request: FastifyRequest): number | null {
  const raw = request.headers['if-match'];
  if (typeof raw !== 'string' || raw === '*') return null;
  const n = Number(raw.replace(/^W\//, '').replace(/"/g, ''));
  if (!Number.isInteger(n)) throw new SandboxInputError('If-Match', 'expected the item version');
  return n;
}

export async function sandboxRoutes(app: FastifyInstance, options: SandboxRoutesOptions): Promise<void> {
  const repo = async (request: FastifyRequest, reply: FastifyReply) => {
    const scope = await options.authenticate(request, reply);
    if (!scope) throw Object.assign(new Error('sign-in required'), { statusCode: 401 });
    return options.repoFor(scope);
  };
  const id = (request: FastifyRequest): string => {
    const r = idParams.safeParse(request.params);
    if (!r.success) throw new SandboxInputError('id', 'invalid');
    return r.data.id;
  };

  // The API's one error shape ({error, message, field}), as on /api/v1.
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof SandboxInputError) {
      return reply.status(400).send({ error: 'validation', message: error.message, field: error.field });
    }
    if (error instanceof SandboxError) {
      const status = error.kind === 'not-found' ? 404 : error.kind === 'conflict' ? 412 : 400;
      const code = error.kind === 'not-found' ? 'not-found' : error.kind === 'conflict' ? 'conflict' : 'validation';
      return reply.status(status).send({ error: code, message: error.message, field: null });
    }
    // A missing or expired sign-in (the server's authenticate throws HttpError 401) is a 401, not a 500.
    if (error instanceof HttpError) return reply.status(error.status).send(error.toBody());
    const json = jsonBodyError(error as FastifyError);
    if (json) return reply.status(json.status).send(json.toBody());
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    const message = status >= 500 ? 'internal error' : (error as Error).message;
    if (status >= 500) reply.log.error({ err: error }, 'sandbox API error');
    const code =
      status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status >= 500 ? 'internal' : 'validation';
    return reply.status(status).send({ error: code, message, field: null });
  });

  registerSandboxItemPage(app);

  app.get('/sandbox/v1/items', async (request, reply) => {
    const q = z.object({ includeArchived: z.enum(['true', 'false']).optional() }).safeParse(request.query);
    if (!q.success) throw new SandboxInputError('includeArchived', 'expected true or false');
    return { items: await service.listItems(await repo(request, reply), q.data.includeArchived !== 'false') };
  });
  app.post('/sandbox/v1/items', async (request, reply) => {
    const item = await service.addItem(await repo(request, reply), request.body);
    return reply.status(201).header('etag', `"${item.version}"`).send(item);
  });
  app.post('/sandbox/v1/items/import', async (request, reply) => {
    if (!Array.isArray(request.body)) throw new SandboxInputError('body', 'expected a JSON array of items');
    const items = await service.addItems(await repo(request, reply), request.body as unknown[]);
    return reply.status(201).send({ items });
  });
  app.get('/sandbox/v1/items/:id', async (request, reply) => {
    const item = await service.getItem(await repo(request, reply), id(request));
    return reply.header('etag', `"${item.version}"`).send(item);
  });
  app.patch('/sandbox/v1/items/:id', async (request, reply) => {
    const item = await service.updateItem(
      await repo(request, reply),
      id(request),
      request.body,
      ifMatchVersion(request),
    );
    return reply.header('etag', `"${item.version}"`).send(item);
  });
  app.delete('/sandbox/v1/items/:id', async (request, reply) => {
    await service.deleteItem(await repo(request, reply), id(request));
    return reply.status(204).send();
  });
  app.get('/sandbox/v1/contacts', async (request, reply) => ({
    contacts: await (await repo(request, reply)).listContacts(),
  }));
  app.post('/sandbox/v1/contacts', async (request, reply) =>
    reply.status(201).send(await service.addContact(await repo(request, reply), request.body)),
  );
  app.get('/sandbox/v1/companies', async (request, reply) => ({
    companies: await (await repo(request, reply)).listCompanies(),
  }));
  app.post('/sandbox/v1/companies', async (request, reply) =>
    reply.status(201).send(await service.addCompany(await repo(request, reply), request.body)),
  );
}
