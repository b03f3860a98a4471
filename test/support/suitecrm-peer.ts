/**
 * The real SuiteCRM 7.14.6 from ../shared/peers/suitecrm (started once per Jest run by test/peers/global-setup.ts),
 * seen from outside the connector: a SuiteCRM user or admin acting through the V8 API, and the few things only
 * the database can do (a user's password, a role that disables a module, expiring or revoking tokens).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface SuiteCrmInstance {
  url: string;
  adminUser: string;
  adminPassword: string;
  passwordClient: { id: string; secret: string };
  credentialsClient: { id: string; secret: string };
  dir: string;
  dbPort: number;
  version: string;
}

const repoRoot = path.resolve(__dirname, '../..');

/** ../shared beside the repository (a worktree elsewhere may point SHARED_DIR at it). */
export function sharedDir(): string {
  return process.env.SHARED_DIR ? path.resolve(process.env.SHARED_DIR) : path.resolve(repoRoot, '../shared');
}

export function suiteCrmPeerDir(): string | null {
  const dir = path.join(sharedDir(), 'peers/suitecrm');
  return fs.existsSync(path.join(dir, 'start.sh')) ? dir : null;
}

/** The instance global-setup started, or null (then the peer suites say they were skipped). */
export function suiteCrmInstance(): SuiteCrmInstance | null {
  const raw = process.env.SUITECRM_INSTANCE;
  if (!raw) return null;
  return JSON.parse(raw) as SuiteCrmInstance;
}

export interface PeerRecord {
  type: string;
  id: string;
  attributes: Record<string, string>;
}

/** A SuiteCRM user (admin by default) acting through the V8 API, as people do through SuiteCRM's own UI. */
export class SuiteCrmPeer {
  private token: string | null = null;

  constructor(
    readonly instance: SuiteCrmInstance,
    private readonly login: { username: string; password: string } = {
      username: instance.adminUser,
      password: instance.adminPassword,
    },
  ) {}

  get url(): string {
    return this.instance.url;
  }

  get host(): string {
    return new URL(this.instance.url).host;
  }

  private async authenticate(): Promise<string> {
    const res = await fetch(`${this.url}/Api/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        grant_type: 'password',
        client_id: this.instance.passwordClient.id,
        client_secret: this.instance.passwordClient.secret,
        username: this.login.username,
        password: this.login.password,
      }),
    });
    if (!res.ok) throw new Error(`peer token: HTTP ${res.status}`);
    this.token = ((await res.json()) as { access_token: string }).access_token;
    return this.token;
  }

  /** One V8 call; throws on a non-2xx answer (with its status and body: these are the test's own requests). */
  async api(method: string, pathAndQuery: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const token = this.token ?? (await this.authenticate());
      const res = await fetch(`${this.url}/Api/V8${pathAndQuery}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/vnd.api+json',
          ...(body === undefined ? {} : { 'content-type': 'application/vnd.api+json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'manual',
      });
      const text = await res.text();
      if (res.status === 401 && attempt === 0) {
        this.token = null;
        continue;
      }
      if (!res.ok) throw new Error(`peer ${method} ${pathAndQuery}: HTTP ${res.status} ${text.slice(0, 300)}`);
      if (!text) return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // Creating a user prints "Provide both a User Name and an Email Address." after the JSON (SuiteCRM's
        // new-user mail attempt); the record is saved all the same.
        return JSON.parse(text.slice(0, text.lastIndexOf('}') + 1)) as unknown;
      }
    }
  }

  async create(module: string, attributes: Record<string, string | number>): Promise<string> {
    const doc = (await this.api('POST', '/module', { data: { type: module, attributes } })) as { data: { id: string } };
    return doc.data.id;
  }

  async update(module: string, id: string, attributes: Record<string, string | number>): Promise<void> {
    await this.api('PATCH', '/module', { data: { type: module, id, attributes } });
  }

  async remove(module: string, id: string): Promise<void> {
    await this.api('DELETE', `/module/${module}/${id}`);
  }

  async get(module: string, id: string): Promise<PeerRecord> {
    return ((await this.api('GET', `/module/${module}/${id}`)) as { data: PeerRecord }).data;
  }

  /** Relates by link name (the form that also works for users). */
  async relate(module: string, id: string, link: string, type: string, relatedId: string): Promise<void> {
    await this.api('POST', `/module/${module}/${id}/relationships/${link}`, { data: { type, id: relatedId } });
  }

  async related(module: string, id: string, link: string): Promise<string[]> {
    const doc = (await this.api('GET', `/module/${module}/${id}/relationships/${link}`)) as { data: { id: string }[] };
    return doc.data.map((d) => d.id);
  }

  /** Every record of a module matching the filter (all pages). */
  async list(module: string, filter: Record<string, string> = {}): Promise<PeerRecord[]> {
    const out: PeerRecord[] = [];
    for (let page = 1; ; page++) {
      const q = new URLSearchParams({ ...filter, 'page[size]': '100', 'page[number]': String(page) });
      const doc = (await this.api('GET', `/module/${module}?${q.toString()}`)) as {
        data: PeerRecord[];
        meta?: { 'total-pages'?: number };
      };
      out.push(...doc.data);
      if (page >= (doc.meta?.['total-pages'] ?? 1)) return out;
    }
  }

  /** Runs SQL in the instance's own database (MariaDB client of the peer's packages). */
  sql(statement: string): string {
    return execFileSync(
      'mariadb',
      [
        '-h127.0.0.1',
        `-P${this.instance.dbPort}`,
        '-usuitecrm',
        '-psuitecrm-db-pw',
        'suitecrm',
        '--batch',
        '--skip-column-names',
        '-e',
        statement,
      ],
      { encoding: 'utf8' },
    );
  }

  /**
   * A regular (non-admin) SuiteCRM user, created through the API (with its e-mail, if any); its password is set
   * the way SuiteCRM stores it (bcrypt of the lower-case MD5), and `denyModules` get a role that disables them.
   */
  async createUser(
    userName: string,
    password: string,
    options: { email?: string | null; denyModules?: string[] } = {},
  ): Promise<string> {
    // SuiteCRM answers a second user of the same name with a redirect to its error page: reuse the first.
    const existing = this.sql(`SELECT id FROM users WHERE user_name='${userName}' AND deleted=0`).trim();
    const id =
      existing ||
      (await this.create('Users', {
        user_name: userName,
        first_name: userName,
        last_name: 'Peer',
        status: 'Active',
        employee_status: 'Active',
        ...(options.email ? { email1: options.email } : {}),
      }));
    const hash = execFileSync(
      'php',
      ['-r', 'echo password_hash(strtolower(md5($argv[1])), PASSWORD_DEFAULT);', password],
      {
        encoding: 'utf8',
      },
    );
    this.sql(`UPDATE users SET user_hash='${hash}', is_admin=0, sugar_login=1 WHERE id='${id}'`);
    if (options.denyModules?.length) {
      const role = `${id.slice(0, 30)}role`.slice(0, 36);
      const modules = options.denyModules.map((m) => `'${m}'`).join(',');
      this.sql(
        [
          `INSERT IGNORE INTO acl_roles (id,name,description,deleted,date_entered,date_modified) VALUES ('${role}','No ${options.denyModules.join('+')} for ${userName}','',0,UTC_TIMESTAMP(),UTC_TIMESTAMP())`,
          `INSERT INTO acl_roles_actions (id,role_id,action_id,access_override,date_modified,deleted) SELECT UUID(),'${role}',a.id,-98,UTC_TIMESTAMP(),0 FROM acl_actions a WHERE a.category IN (${modules}) AND a.name='access' AND NOT EXISTS (SELECT 1 FROM acl_roles_actions x WHERE x.role_id='${role}' AND x.action_id=a.id)`,
          `INSERT INTO acl_roles_users (id,role_id,user_id,date_modified,deleted) SELECT UUID(),'${role}','${id}',UTC_TIMESTAMP(),0 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM acl_roles_users WHERE role_id='${role}' AND user_id='${id}')`,
        ].join(';'),
      );
    }
    return id;
  }

  /** Every access token of the user ends now (as an hour passing would). */
  expireAccessTokens(userId: string): void {
    this.sql(
      `UPDATE oauth2tokens SET access_token_expires = UTC_TIMESTAMP() - INTERVAL 1 HOUR WHERE assigned_user_id='${userId}'`,
    );
  }

  /** An admin revokes every token of the user (access and refresh). */
  revokeTokens(userId: string): void {
    this.sql(`UPDATE oauth2tokens SET token_is_revoked = 1 WHERE assigned_user_id='${userId}'`);
  }
}

/** SuiteCRM's DB date format (UTC, to the second) for an instant. */
export const dbDate = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');
