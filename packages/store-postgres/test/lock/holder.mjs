// A second process for test/pglite-lock.test.ts. It imports the BUILT package (dist), like an
// application: opens a PGlite store on the data directory given as argv[2] and prints one JSON line,
// {"opened":true} or {"opened":false,"code","pid","message"}. Opened, it keeps the store open until
// stdin says "close" (then closes it and prints "closed") or the process is killed.
import { createInterface } from 'node:readline';
import { createPGliteStore } from '@passport/store-postgres';

let store;
try {
  store = await createPGliteStore({ dataDir: process.argv[2] });
} catch (error) {
  console.log(JSON.stringify({ opened: false, code: error.code, pid: error.pid, message: error.message }));
  process.exit(1);
}
await store.listClients();
console.log(JSON.stringify({ opened: true }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'close') {
    await store.close();
    console.log('closed');
    process.exit(0);
  }
}
