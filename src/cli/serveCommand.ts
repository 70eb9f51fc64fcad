import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';

const USAGE = `Usage: tessera serve

Serves the HTTP API on TESSERA_HOST:TESSERA_PORT (default 127.0.0.1:8080), with the stores of
TESSERA_DATABASE_URL (default sqlite:./data/tessera.db), until SIGTERM or SIGINT.`;

export const serveCommand: Command = {
  usage: USAGE,
  async run(args, config) {
    parseCommandArgs(args, {}, [], USAGE);
    // Loaded on use, like the stores of the other commands, so that help stays quick.
    const { serve } = await import('./serve.js');
    await serve(config);
    return 0;
  },
};
