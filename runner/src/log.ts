// The runner's logger: pino JSON lines on stdout. Secrets are redacted by key wherever they appear, and every
// string value a caller registers as secret (password, tokens) is scrubbed from messages and errors too.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'password', 'token', 'authorization', 'Authorization', 'private_key', 'privateKey', 'secret', 'cookie',
  'scryptedToken', 'credentials',
];

const redactPaths = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** Values that must never reach a log line, whatever key they are under. */
const secretValues = new Set<string>();

/** Registers a secret value (e.g. a password or token) so it is replaced by [REDACTED] in every log line. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secretValues.add(value);
}

export function scrubSecrets(text: string): string {
  let result = text;
  for (const secret of secretValues) result = result.split(secret).join('[REDACTED]');
  return result;
}

export interface LoggerOptions {
  level: LevelWithSilent;
  destination?: NodeJS.WritableStream | undefined;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const scrubbing = {
    write(line: string) {
      destination.write(scrubSecrets(line));
    },
  };
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubbing,
  );
}
