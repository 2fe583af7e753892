import { requireRole } from '@/app/_server/auth/page-gate';
import { ActionForm } from '@/app/_components/action-form';
import { removeExchangeCredential, setExchangeCredential } from '../actions';

export const dynamic = 'force-dynamic';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Admin: exchange API credentials, write-only. Only "set on <date>, key …last4" is ever shown. */
export default async function CredentialsPage() {
  const access = await requireRole('admin', '/admin/credentials');
  if (!access.ok) return access.forbidden;
  const credentials = await access.root.auth.credentials.list();
  return (
    <>
      <section className="card" aria-labelledby="credentials-heading">
        <h1 id="credentials-heading">Exchange credentials</h1>
        <table data-testid="credentials-table">
          <thead>
            <tr><th scope="col">Exchange</th><th scope="col">Stored</th><th scope="col" /></tr>
          </thead>
          <tbody>
            {credentials.map((c) => (
              <tr key={c.exchange} data-testid="credential-row">
                <td>{c.exchange}</td>
                <td data-testid="credential-summary">
                  set on {day(c.setAtMs)}, key …{c.keyIdLast4}
                  {c.setBy ? ` by ${c.setBy}` : ''}
                </td>
                <td>
                  <ActionForm action={removeExchangeCredential} submitLabel="Remove">
                    <input type="hidden" name="exchange" value={c.exchange} />
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {credentials.length === 0 && <p className="muted">None stored.</p>}
      </section>
      <section className="card" aria-labelledby="set-credential-heading">
        <h2 id="set-credential-heading">Set credentials</h2>
        <p className="muted">Encrypted with AES-256-GCM before storage; replaces any stored for the exchange. Never shown again.</p>
        <ActionForm action={setExchangeCredential} submitLabel="Save" testId="credential-form">
          <label>
            Exchange <input name="exchange" placeholder="binance" required />
          </label>
          <label>
            API key <input name="apiKey" autoComplete="off" required />
          </label>
          <label>
            Secret <input name="secret" type="password" autoComplete="off" required />
          </label>
          <label>
            Passphrase (if the exchange uses one) <input name="password" type="password" autoComplete="off" />
          </label>
        </ActionForm>
      </section>
    </>
  );
}
