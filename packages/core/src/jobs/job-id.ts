const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for a job id in canonical uuid form. Checked before any query, so a malformed id from a
 * URL is "not found" rather than a database error ("invalid input syntax for type uuid").
 */
export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
