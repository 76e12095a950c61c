// The runner's logger: pino JSON lines on stdout. Secrets are redacted by key wherever they appear, and every
// string value a caller registers as secret (password, tokens) is scrubbed from messages and errors too. No
// character a terminal acts on reaches the output raw (terminal-text.ts).
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { PrettyLog } from './output/pretty-log.js';
import { jsonForTerminal } from './terminal-text.js';

export type { Logger };

const SECRET_KEYS = [
  'password', 'token', 'authorization', 'Authorization', 'private_key', 'privateKey', 'secret', 'cookie',
  'scryptedToken', 'credentials',
];

const redactPaths = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** Values that must never reach a log line, whatever key they are under; longest first. */
let secretValues: string[] = [];

function addSecretForm(value: string): void {
  if (value.length >= 4 && !secretValues.includes(value)) secretValues.push(value);
}

/**
 * Registers a secret value (e.g. a password, token or private key) so it is replaced by [REDACTED] in every log
 * line. Log lines are JSON, so the value's JSON-escaped forms (once and twice) are registered too (a PEM key's
 * newlines, a password's quotes or backslashes), and each line of a multi-line value such as a PEM body on its own.
 */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4) return;
  const forms = [value];
  if (value.includes('\n') || value.includes('\r')) {
    for (const line of value.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= 16 && !/^-----(BEGIN|END) [A-Z ]+-----$/.test(trimmed)) forms.push(trimmed);
    }
  }
  for (const form of forms) {
    const escaped = JSON.stringify(form).slice(1, -1);
    addSecretForm(form);
    addSecretForm(escaped);
    // Escaped twice: JSON text (e.g. a `%j` or `%o` argument) inside a JSON log line.
    addSecretForm(JSON.stringify(escaped).slice(1, -1));
  }
  secretValues = [...secretValues].sort((a, b) => b.length - a.length);
}

export function scrubSecrets(text: string): string {
  let result = text;
  for (const secret of secretValues) result = result.split(secret).join('[REDACTED]');
  return result;
}

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT=auto: readable lines on a terminal, JSON lines otherwise (a container, cron, a pipe). */
export function chooseLogFormat(setting: 'auto' | LogFormat, stdoutIsTerminal = process.stdout.isTTY === true): LogFormat {
  return setting === 'auto' ? (stdoutIsTerminal ? 'pretty' : 'json') : setting;
}

export interface LoggerOptions {
  level: LevelWithSilent;
  destination?: NodeJS.WritableStream | undefined;
  /** json (default): one JSON object a line; pretty: readable lines for a terminal (output/pretty-log.ts). */
  format?: LogFormat | undefined;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const pretty = options.format === 'pretty' ? new PrettyLog() : undefined;
  const scrubbing = {
    write(line: string) {
      const scrubbed = scrubSecrets(line);
      // Names and messages from Scrypted are in these lines: C1 and bidi controls go out escaped (still JSON);
      // the pretty lines escape every control character (forTerminal).
      destination.write(pretty ? pretty.format(scrubbed) : jsonForTerminal(scrubbed));
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
