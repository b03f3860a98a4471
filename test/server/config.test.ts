import { ConfigError, isProductionDeployment, loadConfig } from '../../src/server/config';

describe('configuration by environment', () => {
  it('defaults to the embedded SQLite store on loopback', () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBe('sqlite:./data/connector.db');
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.PORT).toBe(3000);
    expect(c.ALLOWED_PRIVATE_HOSTS).toEqual([]);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('splits the private-host allow-list', () => {
    expect(loadConfig({ ALLOWED_PRIVATE_HOSTS: ' radicale.local:5232, 10.0.0.5 ' }).ALLOWED_PRIVATE_HOSTS).toEqual([
      'radicale.local:5232',
      '10.0.0.5',
    ]);
  });

  it('tells a production deployment (NODE_ENV=production or PostgreSQL) from the embedded default', () => {
    expect(isProductionDeployment(loadConfig({}))).toBe(false);
    expect(isProductionDeployment(loadConfig({ DATABASE_URL: 'sqlite:/tmp/c.db', NODE_ENV: 'test' }))).toBe(false);
    expect(isProductionDeployment(loadConfig({ DATABASE_URL: 'postgres://u:p@db/crm' }))).toBe(true);
    expect(isProductionDeployment(loadConfig({ DATABASE_URL: 'postgresql://u:p@db/crm' }))).toBe(true);
    expect(isProductionDeployment(loadConfig({ NODE_ENV: 'production' }))).toBe(true);
  });
});
