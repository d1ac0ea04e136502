/** Starts a throwaway PostgreSQL cluster; resolves to its URL and a stop() that removes it. */
export function startCluster(): Promise<{ url: string; stop(): void }>;
