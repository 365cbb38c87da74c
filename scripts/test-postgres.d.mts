export interface TestPostgres {
  /** Superuser URL of the server (database `postgres`). */
  url: string;
  /** Shuts the server down and deletes its data; calling it again returns the same promise. */
  stop(): Promise<void>;
}
export function startTestPostgres(): Promise<TestPostgres>;
