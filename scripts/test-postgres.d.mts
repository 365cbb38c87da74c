export interface TestPostgres {
  /** Superuser URL of the server (database `postgres`). */
  url: string;
  /** Shuts the server down and deletes its data; calling it again returns the same promise. */
  stop(): Promise<void>;
}
export function startTestPostgres(): Promise<TestPostgres>;

export interface PrivatePostgres {
  port: number;
  /** Superuser URL (database `postgres`). */
  url: string;
  /** Creates the data directory (initdb, the slow part) without starting the server. */
  init(): Promise<void>;
  /** Initialises the data directory the first time, then starts the server. */
  start(): Promise<void>;
  /** Fast shutdown: clients are disconnected, committed data stays. */
  stop(): Promise<void>;
  /** Stops the server and deletes its data. */
  remove(): Promise<void>;
}
export function privatePostgres(o?: { port?: number; durable?: boolean }): Promise<PrivatePostgres>;
