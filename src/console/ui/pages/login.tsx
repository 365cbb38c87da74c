import { useState } from 'preact/hooks';
import { api } from '../api.js';

export function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      class="login"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api('/login', { body: { token } });
          onDone();
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <h1>Taproute console</h1>
      <label>
        Admin token
        <input type="password" name="token" autocomplete="current-password" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Log in</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}
