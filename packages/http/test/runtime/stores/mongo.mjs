// MongoDB through the official driver, in the cell's own database (PASSPORT_STORE_NAMESPACE); the
// test creates its indexes before the cell starts.
import { createMongoStore } from '@passport/store-mongo';

/** A store on the test bed's Mongo wire server, in the cell's own database. */
export async function openStore(env) {
  return createMongoStore({ url: env.PASSPORT_STORE_URL, dbName: env.PASSPORT_STORE_NAMESPACE });
}
