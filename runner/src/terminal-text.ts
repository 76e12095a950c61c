// Text from outside (camera names, ids, a lease owner, a server's error message) made safe for one terminal line:
// characters a terminal would act on instead of showing are written as visible escapes. C0 controls (ESC, CR,
// LF, BEL, TAB, ...), DEL, C1 controls (CSI U+009B starts an escape sequence on terminals that honour C1), the
// Unicode line and paragraph separators, bidi embeddings, overrides, isolates and marks (which reorder what
// follows, e.g. U+202E), and lone surrogates. Everything else, any script and emoji, is shown as it is.
// JSON output (status --json, the log lines) is escaped by JSON instead, see log.ts.

/** Characters a terminal or a bidi-aware viewer acts on. */
const UNSAFE_FOR_TERMINAL =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The same, less the C0 controls: JSON escapes those inside strings, and its own line breaks must stay. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeOf = (char: string): string => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;

/** `text` with every character of UNSAFE_FOR_TERMINAL written as `\uXXXX`; one line, nothing acted on. */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, escapeOf);
}

/**
 * A JSON text with the same characters written as `\uXXXX` escapes. JSON.stringify already escapes C0 controls
 * and lone surrogates but leaves DEL, C1 controls, bidi controls and U+2028/2029 raw; outside strings JSON has
 * none of these, and inside one the escape means the same character, so the JSON parses to the same values.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(UNSAFE_IN_JSON, escapeOf);
}
