// PostgreSQL through node-postgres (`pg`). The matrix migrates the cell's schema from Node first
// (PASSPORT_STORE_NAMESPACE), so the app only connects.
import { createPostgresStore } from '@passport/store-postgres';
import pg from 'pg';

/** A store on the test bed's PostgreSQL, in the cell's own schema. */
export async function openStore(env) {
  return createPostgresStore({
    pool: new pg.Pool({ connectionString: env.PASSPORT_STORE_URL, max: 4 }),
    schema: env.PASSPORT_STORE_NAMESPACE,
  });
}
