// The Store contract against SqliteStore: real files in a temp dir; the second handle is another
// connection to the same file, as the CLI opens it while the server runs.
import { after } from 'node:test';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { tmpDir } from '../tmp.js';
import { storeContract } from './contract.js';

const t = tmpDir();
after(() => t.cleanup());
const files = new WeakMap<Store, string>();
let n = 0;

storeContract(
  'sqlite',
  async () => {
    const file = join(t.dir, `s${n++}.sqlite`);
    const s = new SqliteStore(file, { owner: true });
    files.set(s, file);
    return s;
  },
  async (s) => new SqliteStore(files.get(s)!),
);
