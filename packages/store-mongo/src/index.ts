/**
 * @passport/store-mongo: the MongoDB store for Passport, on the official `mongodb` driver.
 * Correct without multi-document transactions: every atomic step is one conditional
 * single-document operation (see the package README for the document design).
 * @packageDocumentation
 */

export { type CreateMongoStoreOptions, createMongoStore, DEFAULT_CLIENT_OPTIONS } from './factory.js';
export { collectionNames, type EnsureIndexesResult, type MongoCollectionNames } from './indexes.js';
export { MongoStore, type MongoStoreOptions } from './store.js';
