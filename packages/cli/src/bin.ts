#!/usr/bin/env node
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Exit even if a driver left a handle open; the timer does not itself keep the process alive.
setTimeout(() => process.exit(code), 2_000).unref();
