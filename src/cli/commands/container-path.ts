// The Engine API path of one container, as every container command addresses it: the name or ID
// escaped once here, so "/name" and names with odd characters reach the daemon intact.

export const cpath = (id: string): string => `/containers/${encodeURIComponent(id)}`;
