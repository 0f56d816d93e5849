// What the @passport/cli README's server snippet takes as given: a key directory `storage` written
// by `passport keys` (here by writeKeyFiles, the function behind the command), and your issuer and
// store. The snippet refers to them by name, so they are globals of the child process that runs it.
import { writeKeyFiles } from '@passport/cli';
import { MemoryStore } from '@passport/store-memory';

await writeKeyFiles('storage');

Object.assign(globalThis, { issuer: 'https://auth.example.com', store: new MemoryStore() });
