#!/usr/bin/env node
// Writes the OpenAPI document the server serves (built from dist/) to the file named, or to stdout:
// for the linter (`npm run lint`) and for anyone who wants it without starting a server.
import { writeFileSync } from 'node:fs';
import { parseConfig } from '../dist/config.js';
import { buildHttp, openTessera } from '../dist/runtime.js';

// Every optional route on (the feed, metrics behind a token), on a database in memory.
const config = parseConfig({ TESSERA_DATABASE_URL: 'sqlite::memory:', TESSERA_FEED_SECRET: 'documentation-only-secret', TESSERA_METRICS_TOKEN: 'documentation-only' });
const tessera = await openTessera(config);
const app = await buildHttp(tessera, config);
await app.ready();
const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
await app.close();
await tessera.close();
if (process.argv[2]) writeFileSync(process.argv[2], document);
else process.stdout.write(document);
