// The Store contract against SqliteStore: real files in a temp dir; the second handle is another
// connection to the same file, as the CLI opens it while the server runs. The same suite runs against the
// store on its own thread (SqliteThreadStore), as the server opens it.
import { after } from 'node:test';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { SqliteThreadStore } from '../../src/store/sqlite/thread.js';
import type { Store } from '../../src/store/types.js';
import { tmpDir } from '../tmp.js';
import { storeContract } from './contract.js';

const t = tmpDir();
after(() => t.cleanup());
const files = new WeakMap<Store, string>();
let n = 0;

function opener(open: (file: string) => Store | Promise<Store>) {
  return async () => {
    const file = join(t.dir, `s${n++}.sqlite`);
    const s = await open(file);
    files.set(s, file);
    return s;
  };
}
const secondHandle = async (s: Store) => new SqliteStore(files.get(s)!);

storeContract('sqlite', opener((file) => new SqliteStore(file, { owner: true })), secondHandle);
storeContract('sqlite on its own thread', opener((file) => SqliteThreadStore.open(file, { owner: true })), secondHandle);
