import { after } from 'node:test';
import { startCluster } from '../scripts/pg-cluster.mjs';

/** Starts a throwaway PostgreSQL cluster for this test file, stopped when the file ends; its URL. */
export async function startPostgres(): Promise<string> {
  const cluster = await startCluster();
  after(() => cluster.stop());
  return cluster.url;
}
