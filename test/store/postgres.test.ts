// The Store contract against PostgresStore: a fresh database on the test run's PostgreSQL; every store of
// the suite starts from empty tables (the schema stays, as a restarted node finds it), and the second handle
// is another pool on the same database, as another node or the CLI opens it.
import { PostgresStore } from '../../src/store/postgres/index.js';
import { testDatabaseUrl } from '../pg.js';
import { storeContract } from './contract.js';

const url = await testDatabaseUrl();

storeContract(
  'postgres',
  async () => {
    const s = await PostgresStore.open(url);
    await s.pool.query(
      `TRUNCATE messages, dedupe, jobs, dead_letters, counters, filtered_counters, source_counters, seen_requests, suppressions,
        last_errors, destination_state, nodes, leases, warning_counters RESTART IDENTITY`,
    );
    return PostgresStore.open(url).finally(() => s.close());
  },
  (s) => PostgresStore.open((s as PostgresStore).pool.options.connectionString!),
);
