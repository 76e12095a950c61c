// Parses the CLI's durations: "90s", "30m", "1h", "1h30m", "2d", or a bare number of seconds.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) {
    throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. 30m, 1h, 1h30m)`);
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNIT_MS[part[2] as string] as number), 0);
}

/** A duration as the CLI takes it: 3600000 -> "1h", 5400000 -> "1h30m", 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.length > 0 ? parts.join('') : '0s';
}
