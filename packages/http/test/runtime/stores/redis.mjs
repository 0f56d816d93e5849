// Redis through ioredis, under the cell's own key prefix (PASSPORT_STORE_NAMESPACE).
import { createRedisStore } from '@passport/store-redis';

/** A store on the test bed's Redis, under the cell's own key prefix. */
export async function openStore(env) {
  return createRedisStore({ url: env.PASSPORT_STORE_URL, prefix: env.PASSPORT_STORE_NAMESPACE });
}
