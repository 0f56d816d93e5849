// @ts-check
/**
 * The demo's user table: the host application's users, which Passport never stores. A real app
 * reads them from its own database and checks hashed passwords.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';

/** @typedef {{ id: string; email: string; name: string }} DemoUser */

/** @type {ReadonlyArray<DemoUser & { password: string }>} */
export const demoUsers = [
  { id: 'user-1', email: 'demo@example.com', name: 'Demo User', password: 'password' },
  { id: 'user-2', email: 'alice@example.com', name: 'Alice', password: 'wonderland' },
];

/** @param {DemoUser & { password: string }} user @returns {DemoUser} */
function publicUser(user) {
  return { id: user.id, email: user.email, name: user.name };
}

/**
 * The user with this email and password, or `null`.
 * @param {string} email
 * @param {string} password
 * @returns {DemoUser | null}
 */
export function checkCredentials(email, password) {
  const user = demoUsers.find((candidate) => candidate.email === email.trim().toLowerCase());
  if (!user) return null;
  const given = Buffer.from(password);
  const expected = Buffer.from(user.password);
  return given.length === expected.length && timingSafeEqual(given, expected) ? publicUser(user) : null;
}

/**
 * Passport's user provider over the demo users.
 * @type {import('@passport/core').UserProvider<DemoUser>}
 */
export const userProvider = {
  async findById(id) {
    const user = demoUsers.find((candidate) => candidate.id === id);
    return user ? publicUser(user) : null;
  },
  async findForPassport(username) {
    const user = demoUsers.find((candidate) => candidate.email === username.trim().toLowerCase());
    return user ? publicUser(user) : null;
  },
  async validateForPassportPasswordGrant(user, password) {
    return checkCredentials(user.email, password) !== null;
  },
};
