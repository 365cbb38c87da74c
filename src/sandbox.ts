// `taproute start` without a config: the sandbox. Runs the in-process CleverTap emulator unless a real account is
// configured (CLEVERTAP_ACCOUNT_ID / CLEVERTAP_PASSCODE), and builds the sandbox config around it.
import { startEmulator } from './emulator/index.js';
import { realCleverTapSettings, sandboxConfig, sandboxSecrets } from './config/sandbox.js';

export async function startSandbox(dataDir = 'data', port?: number) {
  const secrets = sandboxSecrets(dataDir);
  const real = realCleverTapSettings();
  const emulator = real ? null : await startEmulator({ port: 0, accounts: [{ id: 'sandbox', passcode: secrets.passcode }], logger: false });
  try {
    const clevertap = real ?? { accountId: 'sandbox', passcode: secrets.passcode, endpoint: emulator!.url };
    return { config: sandboxConfig(dataDir, secrets, clevertap, port), secrets, emulator };
  } catch (err) {
    await emulator?.close();
    throw err;
  }
}
