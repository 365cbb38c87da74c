// The console's entry point: login, navigation and the pages. Everything from traffic is rendered as text
// (Preact text nodes); nothing is ever set as HTML.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, whenUnauthorized } from './api.js';
import { navigate, usePath } from './router.js';
import { Overview } from './pages/overview.js';
import { Debugger } from './pages/debugger.js';
import { Failures } from './pages/failures.js';
import { Transform } from './pages/transform.js';
import { Sources } from './pages/sources.js';
import { Users } from './pages/users.js';
import { Login } from './pages/login.js';

const PAGES: { path: string; title: string; view: () => preact.JSX.Element }[] = [
  { path: '/console', title: 'Overview', view: Overview },
  { path: '/console/debugger', title: 'Live debugger', view: Debugger },
  { path: '/console/failures', title: 'Failures', view: Failures },
  { path: '/console/transform', title: 'Transform', view: Transform },
  { path: '/console/sources', title: 'Sources', view: Sources },
  { path: '/console/users', title: 'Users', view: Users },
];

function App() {
  const path = usePath();
  const [auth, setAuth] = useState<'unknown' | 'in' | 'out'>('unknown');
  useEffect(() => {
    whenUnauthorized(() => setAuth('out'));
    api('/session').then(() => setAuth('in'), () => setAuth('out'));
  }, []);
  if (auth === 'unknown') return <p class="muted">Loading…</p>;
  if (auth === 'out') return <Login onDone={() => setAuth('in')} />;
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  const View = page.view;
  return (
    <div class="layout">
      <nav>
        <strong class="brand">Taproute</strong>
        {PAGES.map((p) => (
          <a
            href={p.path}
            class={p === page ? 'active' : ''}
            onClick={(e) => {
              e.preventDefault();
              navigate(p.path);
            }}
          >
            {p.title}
          </a>
        ))}
        <button
          class="link logout"
          onClick={async () => {
            await api('/logout', { body: {} }).catch(() => {});
            setAuth('out');
          }}
        >
          Log out
        </button>
      </nav>
      <main>
        <h1>{page.title}</h1>
        <View />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
