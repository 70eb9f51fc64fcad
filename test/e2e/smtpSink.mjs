// A real SMTP server process for the mail tests: smtp-server on 127.0.0.1:PORT, no TLS, no auth.
// Each message received is written to DIR as NNN.eml, then the server answers 250.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

const [port, dir] = process.argv.slice(2);
mkdirSync(dir, { recursive: true });
let n = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const name = join(dir, `${String(++n).padStart(3, '0')}-${process.pid}.eml`);
      writeFileSync(name, Buffer.concat(chunks));
      process.stdout.write(`received ${name} for ${session.envelope.rcptTo.map((r) => r.address).join(',')}\n`);
      callback();
    });
  },
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
