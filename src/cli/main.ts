#!/usr/bin/env node
import { loadConfig } from '../config.js';
import { wantsHelp } from './args.js';
import { auditCommands } from './audit.js';
import { CliError } from './cliError.js';
import type { Command, CommandGroup } from './command.js';
import { keysCommands } from './keys.js';
import { migrateCommand } from './migrate.js';
import { reportError } from './reportError.js';
import { serveCommand } from './serveCommand.js';
import { sessionsCommands } from './sessions.js';
import { userCommands } from './user.js';

const COMMANDS: Readonly<Record<string, Command | CommandGroup>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  user: userCommands,
  sessions: sessionsCommands,
  keys: keysCommands,
  audit: auditCommands,
};

const isGroup = (entry: Command | CommandGroup): entry is CommandGroup => 'verbs' in entry;

/** The first line of a usage, without "Usage: ". */
const synopsis = (command: Command): string => (command.usage.split('\n')[0] ?? '').replace(/^Usage: /, '');

function groupUsage(name: string, group: CommandGroup): string {
  const lines = Object.values(group.verbs).map((verb) => `  ${synopsis(verb)}`);
  return `Usage: tessera ${name} <${Object.keys(group.verbs).join('|')}> ...\n\n${group.summary[0]?.toUpperCase()}${group.summary.slice(1)}:\n${lines.join('\n')}\n\nEach takes --help.`;
}

function overview(): string {
  const lines = Object.values(COMMANDS).flatMap((entry) => (isGroup(entry) ? Object.values(entry.verbs) : [entry]));
  return `Usage: tessera <command> [arguments]

${lines.map((command) => `  ${synopsis(command)}`).join('\n')}
  tessera help [COMMAND]

Every command takes --help. Settings come from the environment, or from .env when one exists;
the database is TESSERA_DATABASE_URL (default sqlite:./data/tessera.db).
Exit codes: 0 success, 1 a mistake in the command or its input, 2 an unexpected failure.`;
}

/** The command that `argv` names and its arguments, or the usage to show when it names a group only. */
function resolve(argv: readonly string[]): { command: Command; args: string[] } | { usage: string } {
  const [name = '', ...rest] = argv;
  const entry = COMMANDS[name];
  if (!entry) throw new CliError(`unknown command "${name}"`, overview());
  if (!isGroup(entry)) return { command: entry, args: rest };
  const [verb, ...args] = rest;
  if (verb === undefined) throw new CliError(`missing a command after "${name}"`, groupUsage(name, entry));
  if (verb === '--help' || verb === '-h') return { usage: groupUsage(name, entry) };
  const command = entry.verbs[verb];
  if (!command) throw new CliError(`unknown command "${name} ${verb}"`, groupUsage(name, entry));
  return { command, args };
}

/** `tessera help [COMMAND]`: the overview, a group's verbs, or one command's usage. */
function help(topic: readonly string[]): number {
  const [name = '', verb] = topic;
  const entry = COMMANDS[name];
  let usage: string;
  if (topic.length === 0) usage = overview();
  else if (entry && isGroup(entry) && verb === undefined) usage = groupUsage(name, entry);
  else {
    const found = resolve(topic);
    usage = 'usage' in found ? found.usage : found.command.usage;
  }
  process.stdout.write(`${usage}\n`);
  return 0;
}

/** Exit codes: 0 success, 1 a mistake the operator can fix, 2 an unexpected failure. */
async function main(argv: readonly string[]): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return help(argv.slice(1));
  const found = resolve(argv);
  if ('usage' in found) return help([first]);
  if (wantsHelp(found.args)) return help(argv.slice(0, argv.length - found.args.length));
  // Loaded only now, so that help works whatever the settings.
  return found.command.run(found.args, loadConfig());
}

// A reader that stops early (`tessera audit tail | head`) is not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportError(error);
  },
);
