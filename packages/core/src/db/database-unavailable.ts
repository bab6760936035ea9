/**
 * SQLSTATEs that mean "the server cannot take queries right now", not "this query is wrong":
 * class 08 (connection exception), 57P01-57P03 (admin or crash shutdown, cannot connect now:
 * a restart in progress) and 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
/** Socket errors of a connection attempt or of a connection that died under a query. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** pg's own wording when the server closes a connection under a query or a connect times out. */
const PG_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect/i;

/**
 * True when `err` says the database is unreachable for now (a restart, a network cut), so the
 * API can answer 503 and the client retry, instead of 500 for what is not a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || SOCKET_CODES.has(code))) return true;
  return PG_MESSAGES.test(err.message);
}
