// The storage engines functional tests run against: SQLite always, and
// PostgreSQL when scripts/with-postgres provides a server. Each PostgreSQL
// run gets its own fresh database, empty or a copy of a template database.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function engines() {
  const list = [{ name: 'sqlite', setup: () => ({ pgUrl: null, cleanup: () => {} }) }];
  const admin = process.env.PASSWERK_TEST_PG_ADMIN_URL;
  const app = process.env.PASSWERK_TEST_PG_URL;
  if (admin && app) {
    list.push({
      name: 'postgresql',
      setup: ({ template = null } = {}) => {
        const db = `f_${randomBytes(6).toString('hex')}`;
        const role = process.env.PASSWERK_TEST_PG_APP_ROLE || 'passwerk_app';
        const from = template ? ` TEMPLATE ${template}` : '';
        execFileSync('psql', [admin, '-qc', `CREATE DATABASE ${db} OWNER ${role}${from}`]);
        const url = new URL(app);
        url.pathname = `/${db}`;
        return {
          pgUrl: url.toString(),
          database: db,
          cleanup: () => execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]),
        };
      },
    });
  } else if (process.env.CI) {
    throw new Error('PostgreSQL is required in CI: run the tests through scripts/with-postgres (make test does)');
  }
  return list;
}
