/**
 * Timestamps on the wire are ISO 8601 with microseconds and an explicit
 * offset, as the older service wrote them: 2026-12-01T12:06:00.000000+00:00.
 */
export function formatTimestamp(date: Date): string {
  const iso = date.toISOString();

  return `${iso.slice(0, 23)}000+00:00`;
}
