// What the root README's "Mount it" snippet takes as given: your app's data, configuration and
// login sessions. The snippet refers to them by name, so they are globals of the child process
// that runs it.
const db = {
  users: { find: async (id) => ({ id }) },
  orders: (userId) => [{ id: 'order-1', userId }],
};

Object.assign(globalThis, {
  db,
  env: { PASSPORT_SECRET: process.env.PASSPORT_SECRET },
  sessions: { userFor: () => null },
});
