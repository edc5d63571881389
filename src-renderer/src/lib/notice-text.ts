/** The ready text of a server notice that maintenance stop and config apply offer (issue 16.5). */
export const RESTART_NOTICE = 'The server restarts at 21:00 for about five minutes.';
