/**
 * One line for a value a zod schema refused, for every boundary that validates with zod (API
 * transports, settings file, service arguments, the session host): core, so that none of them has to
 * import the API's transports to say what was wrong.
 */
import type { z } from 'zod';

/** First issue of a zod error as `field: problem`. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}
