// TLS for every connection to Scrypted (login, engine.io, clip bytes): verified by default; a pinned CA file,
// or ALLOW_SELF_SIGNED=true to accept Scrypted's self-signed certificate without checking it.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

export interface TlsSettings {
  allowSelfSigned: boolean;
  caFile: string | undefined;
}

export interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: Buffer;
}

export function tlsOptions(settings: TlsSettings): TlsOptions {
  return {
    rejectUnauthorized: !settings.allowSelfSigned,
    ...(settings.caFile ? { ca: readFileSync(settings.caFile) } : {}),
  };
}

export function httpAgent(baseUrl: string, settings: TlsSettings): HttpAgent {
  return baseUrl.startsWith('https:') ? new HttpsAgent({ keepAlive: true, ...tlsOptions(settings) }) : new HttpAgent({ keepAlive: true });
}

/** A clear message for the TLS failures a user can fix with a setting. */
export function explainTlsError(error: unknown): Error {
  const code = (error as { code?: string }).code ?? '';
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|CERT_/.test(code)) {
    return new Error(
      `Scrypted's TLS certificate is not trusted (${code}): set SCRYPTED_CA_FILE to its certificate, or ALLOW_SELF_SIGNED=true to accept it unchecked`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
