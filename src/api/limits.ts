/** Time limits of the function doors, in one place (and free of imports, so every door bundle stays small). */

/**
 * Netlify stops a synchronous or scheduled function at 30 s (`SYNCHRONOUS_FUNCTION_TIMEOUT` in
 * @netlify/functions): provider calls made for a request end 5 s before that.
 */
export const SYNC_DOOR_DEADLINE_MS = 25_000;

/**
 * Netlify stops a background function at 15 minutes. A run stops admitting writes at this
 * deadline, lets those in flight finish, records where it stands, and hands the rest of its
 * journal to a fresh invocation (a signed hand-off), until done.
 */
export const BACKGROUND_DEADLINE_MS = 13 * 60_000;

/**
 * What a background run may still spend on reads and on the writes in flight after it stopped
 * admitting writes, so everything ends a minute before Netlify's 15.
 */
export const BACKGROUND_GRACE_MS = 60_000;

/** How long one pass over the event outbox may take, after a check or a background run. */
export const OUTBOX_PASS_MS = 10_000;
